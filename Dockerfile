# The Exchange's one image: web (gunicorn), worker and beat run it with different commands.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production

WORKDIR /app
RUN useradd --create-home --uid 1000 exchange

COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY config config
COPY accounts accounts
COPY exchange exchange
COPY matching matching
COPY scheduling scheduling
COPY library library
COPY knowledge knowledge
COPY demo demo
COPY data data
COPY manage.py ./
RUN pip install -c requirements/constraints.txt .

# collectstatic needs settings but no real secret or database.
RUN SECRET_KEY=collectstatic-only-$(python -c "import secrets; print(secrets.token_urlsafe(50))") \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput

# Uploaded files (the library's), when no S3 bucket is configured: a volume in compose.
RUN mkdir -p /app/media && chown exchange /app/media
USER exchange
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--access-logfile", "-"]
