# syntax=docker/dockerfile:1
# calmdesk action server: `calmdesk serve actions` (rasa-sdk 3.x, POST /webhook, GET /health)
# — the custom actions of bot/assistant, reading the shop from the app database.
#
# Build from the repository root (docker-compose.yml does this):
#   docker build -f docker/actions.Dockerfile -t calmdesk/actions .
# BuildKit reads docker/actions.Dockerfile.dockerignore (no virtual environments in context).

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

WORKDIR /app

COPY requirements/app.lock requirements/app.lock
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements/app.lock

COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY escalation/ escalation/
COPY actions/ actions/
RUN pip install --no-deps -e .

RUN useradd --system --create-home --uid 10001 calmdesk \
    && mkdir -p /app/var \
    && chown calmdesk /app/var
USER calmdesk

ENV CALMDESK_MODE=production \
    CALMDESK_HOST=0.0.0.0 \
    CALMDESK_ACTIONS_PORT=5055
EXPOSE 5055

# The health check lives in docker-compose.yml (python one-liner on /health).
CMD ["calmdesk", "serve", "actions", "--port", "5055"]
