# Stands in for the official redis:7 image where no registry is reachable: Debian's
# redis-server on the locally built base (base-images.sh). Same entry as redis:7:
# the compose file's command starts with `redis-server`.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data
WORKDIR /data
