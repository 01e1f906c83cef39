FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY consultant consultant
COPY workers workers
COPY templates templates
COPY config config
RUN pip install --no-cache-dir -e . && useradd --system --home /app consultant && mkdir -p /var/lib/consultant \
    && chown consultant /var/lib/consultant
USER consultant
ENV CONSULTANT_DATA_DIR=/var/lib/consultant
