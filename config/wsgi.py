import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# gunicorn's gthread workers run several request threads under one GIL. A thread coming back
# from a database round trip waits for the GIL up to the switch interval (CPython's default,
# 5 ms) while another thread computes, and a request makes several round trips: at 16
# connections a shorter interval nearly doubled a list's requests/s (docs/benchmarks.md).
sys.setswitchinterval(float(os.environ.get("GIL_SWITCH_INTERVAL_MS", "0.5")) / 1000)

application = get_wsgi_application()
