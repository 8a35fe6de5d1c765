#!/usr/bin/env bash
# Quick start: installs what is needed, loads the demo data and serves the Exchange on its
# embedded defaults (SQLite, tasks in-process). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh

PORT="${PORT:-8000}"
.venv/bin/python manage.py migrate --noinput
# The demo's own emails (proposals, the booked session) are kept in memory, not printed;
# emails sent while you try the API are printed by the server (the console backend).
MAIL_BACKEND="${SEED_MAIL_BACKEND:-django.core.mail.backends.locmem.EmailBackend}" \
    .venv/bin/python manage.py seed_demo
echo
echo "The Expertise Exchange is running."
echo "  API docs (Swagger UI): http://127.0.0.1:${PORT}/api/docs/"
echo "  OpenAPI schema:        http://127.0.0.1:${PORT}/api/schema/"
echo "  Django admin:          http://127.0.0.1:${PORT}/admin/  (admin@demo.exchange)"
echo "  Prometheus metrics:    http://127.0.0.1:${PORT}/metrics  (signed in to the admin)"
echo
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
