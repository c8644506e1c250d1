# syntax=docker/dockerfile:1
# calmdesk gateway: `calmdesk serve gateway` — the only public process (REST + socket.io
# channels, agent API, case log, /health, /metrics). Also runs the one-shot `migrate` service
# of docker-compose.yml (`calmdesk seed --if-empty`: migrations + demo shop).
#
# Build from the repository root (docker-compose.yml does this):
#   docker build -f docker/gateway.Dockerfile -t calmdesk/gateway .
# BuildKit reads docker/gateway.Dockerfile.dockerignore (no virtual environments in context).

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

# One lock for every calmdesk image (torch CPU wheels come from this index).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

WORKDIR /app

COPY requirements/app.lock requirements/app.lock
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements/app.lock

# Editable install so that PROJECT_ROOT is /app, as in a checkout.
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY escalation/ escalation/
COPY actions/ actions/
RUN pip install --no-deps -e .

RUN useradd --system --create-home --uid 10001 calmdesk \
    && mkdir -p /app/var \
    && chown calmdesk /app/var
USER calmdesk

# Bind on every interface inside the container; docker-compose.yml publishes it on the
# host's loopback only (put a TLS reverse proxy in front).
ENV CALMDESK_MODE=production \
    CALMDESK_HOST=0.0.0.0 \
    CALMDESK_GATEWAY_PORT=8000
EXPOSE 8000

# The health check lives in docker-compose.yml (python one-liner on /health).
CMD ["calmdesk", "serve", "gateway", "--port", "8000"]
