import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# gunicorn's gthread workers run several request threads under one GIL; a thread back from a
# database round trip waits for it up to the switch interval (CPython's default, 5 ms).
# GIL_SWITCH_INTERVAL_MS shortens it: 0.5 nearly doubled a list's requests/s at 16
# connections, but slowed tests/faults' booking burst past its sequential baseline, so it
# stays opt-in (docs/benchmarks.md).
if interval := os.environ.get("GIL_SWITCH_INTERVAL_MS"):
    sys.setswitchinterval(float(interval) / 1000)

application = get_wsgi_application()
