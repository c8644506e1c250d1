# syntax=docker/dockerfile:1
# calmdesk NLU service: `calmdesk serve nlu` (POST /model/parse, GET /health, GET /version).
#
# Build from the repository root (docker-compose.yml does this):
#   docker build -f docker/nlu.Dockerfile -t calmdesk/nlu .
# Needs BuildKit (default in current Docker), which reads docker/nlu.Dockerfile.dockerignore
# so that the virtual environments and caches are not sent as build context.
# The trained NLU artefacts (models/nlu, written by `calmdesk train nlu`) must exist first.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

# CPU-only torch wheels (the lock pins torch; its +cpu builds come from this index).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements/app.lock requirements/app.lock
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements/app.lock

# The package, installed in editable mode so that PROJECT_ROOT is /app, as in a checkout.
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY escalation/ escalation/
COPY actions/ actions/
RUN pip install --no-deps -e .

COPY nlu_data/ nlu_data/
COPY models/nlu/ models/nlu/
# The serving graphs (ONNX Runtime; ~110 MB, not in git) are exported from the committed
# artefact at build time, so the service starts without torch work.
RUN python -m bot.nlu.onnx_export models/nlu

RUN useradd --system --create-home --uid 10001 calmdesk \
    && mkdir -p /app/var \
    && chown calmdesk /app/var
USER calmdesk

ENV CALMDESK_MODE=production \
    CALMDESK_NLU_PORT=5006
EXPOSE 5006

# The health check lives in docker-compose.yml (python one-liner on /health).
CMD ["calmdesk", "serve", "nlu", "--host", "0.0.0.0"]
