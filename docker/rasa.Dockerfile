# syntax=docker/dockerfile:1
# calmdesk dialogue manager: Rasa Open Source 3.6.21 serving bot/assistant.
#
# Build from the repository root (docker-compose.yml does this):
#   docker build -f docker/rasa.Dockerfile -t calmdesk/rasa .
# The dialogue model is trained at build time (`rasa train core`; there is no Rasa NLU
# pipeline: messages are understood by the calmdesk NLU service, see endpoints.yml).

FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1

# Pinned to the versions the tests ran with (docker/rasa-constraints.txt). Rasa's bundled
# `keys` file enables usage telemetry and Sentry crash reports even with telemetry disabled;
# it is removed so the container never reports to third parties.
COPY docker/rasa-constraints.txt /tmp/rasa-constraints.txt
RUN pip install --constraint /tmp/rasa-constraints.txt rasa==3.6.21 \
    && rm -f "$(python -c 'import os, rasa; print(os.path.join(os.path.dirname(rasa.__file__), "keys"))')" \
    && rm /tmp/rasa-constraints.txt

RUN useradd --system --create-home --uid 10001 rasa
WORKDIR /app

COPY bot/assistant/ /app/assistant/
RUN rasa train core \
        --config assistant/config.yml \
        --domain assistant/domain.yml \
        --stories assistant/data \
        --out /app/models \
        --fixed-model-name calmdesk-core \
    && rm -rf /app/.rasa \
    && chown -R rasa /app
USER rasa

# endpoints.yml reads these (Rasa refuses to start if one is unset). Defaults: the compose
# service names, in-memory stores; docker-compose.yml switches to PostgreSQL and Redis.
ENV CALMDESK_NLU_URL=http://nlu:5006 \
    CALMDESK_NLU_TOKEN= \
    CALMDESK_ACTIONS_URL=http://actions:5055/webhook \
    CALMDESK_RASA_TRACKER_STORE=rasa.core.tracker_store.InMemoryTrackerStore \
    CALMDESK_RASA_TRACKER_STORE_URL= \
    CALMDESK_RASA_LOCK_STORE=in_memory \
    CALMDESK_RASA_LOCK_STORE_HOST=

EXPOSE 5005

# --enable-api: /status (health check) and /conversations/... for the gateway. Only other
# containers (and the host's loopback, see docker-compose.yml) can reach it.
CMD ["rasa", "run", \
     "--model", "/app/models/calmdesk-core.tar.gz", \
     "--endpoints", "/app/assistant/endpoints.yml", \
     "--credentials", "/app/assistant/credentials.yml", \
     "--enable-api", \
     "--interface", "0.0.0.0", \
     "--port", "5005"]
