# MinBil backend: gunicorn serving the Django app on $PORT, and the job engine's processes.
# The process types (as in Procfile):
#   docker build -t minbil .
#   docker run --env-file .env -p 8000:8000 minbil                  # web: serve (the CMD)
#   docker run --env-file .env minbil celery -A minbil worker       # worker: one or more
#   docker run --env-file .env minbil celery -A minbil beat         # beat: exactly one
#   docker run --env-file .env minbil python manage.py migrate      # once per release
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 minbil

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=minbil:minbil . .
# Translation catalogues compiled from locale/*/LC_MESSAGES/django.po; collected static files
# (admin, API docs) are served by WhiteNoise from the image. /app/.jobs (JOBS_DIR) holds beat's
# schedule file.
RUN pybabel compile --domain=django --directory=locale --statistics \
    && SECRET_KEY=build-only-collectstatic python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/.jobs && chown minbil:minbil /app/media /app/.jobs

USER minbil
EXPOSE 8000
# Photos on local storage (no AWS_STORAGE_BUCKET_NAME) live here: mount a volume, or they die
# with the container.
ENV MEDIA_ROOT=/app/media
VOLUME ["/app/media"]

# Liveness only (the process answers): a database or Redis outage must not get a healthy
# container restarted. Load balancers and orchestrators route by /readyz (README).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://localhost:%s/healthz' % os.environ['PORT'], timeout=4)"

# Bind address, workers, threads, timeout and logging come from gunicorn.conf.py.
CMD ["gunicorn", "minbil.wsgi:application"]
