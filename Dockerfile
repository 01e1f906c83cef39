# The wheel, built in one stage and installed (not the checkout) with the versions constraints.txt holds.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.11-slim
COPY constraints.txt /tmp/constraints.txt
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir -c /tmp/constraints.txt /tmp/dist/*.whl && rm -rf /tmp/dist \
    && useradd --system --home /var/lib/consultant consultant && mkdir -p /var/lib/consultant \
    && chown consultant /var/lib/consultant
USER consultant
WORKDIR /var/lib/consultant
ENV CONSULTANT_DATA_DIR=/var/lib/consultant
