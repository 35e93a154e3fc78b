# Multi-stage build of the Pakit service executables.
# Build: docker compose build   (no Docker engine runs on the build machine; CI validates compose.yaml only)
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libzstd-dev libsqlite3-dev libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY shared ./shared
COPY services ./services
COPY cli ./cli
COPY tools ./tools
COPY tests ./tests
RUN swift build -c release --static-swift-stdlib --product pakit-storage \
 && swift build -c release --static-swift-stdlib --product pakit-prover \
 && swift build -c release --static-swift-stdlib --product pakit-mesh-gateway \
 && swift build -c release --static-swift-stdlib --product pakit-chain-relay \
 && swift build -c release --static-swift-stdlib --product pakit-lora-bridge \
 && swift build -c release --static-swift-stdlib --product pakit \
 && install -D "$(swift build -c release --show-bin-path)/pakit-storage" /out/pakit-storage \
 && install -D "$(swift build -c release --show-bin-path)/pakit-prover" /out/pakit-prover \
 && install -D "$(swift build -c release --show-bin-path)/pakit-mesh-gateway" /out/pakit-mesh-gateway \
 && install -D "$(swift build -c release --show-bin-path)/pakit-chain-relay" /out/pakit-chain-relay \
 && install -D "$(swift build -c release --show-bin-path)/pakit-lora-bridge" /out/pakit-lora-bridge \
 && install -D "$(swift build -c release --show-bin-path)/pakit" /out/pakit

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends libzstd1 libsqlite3-0 libpq5 ca-certificates curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data --uid 10001 pakit && mkdir -p /data && chown pakit /data
COPY --from=build /out/ /usr/local/bin/
USER pakit
VOLUME /data
ENV PAKIT_DATA_DIR=/data
EXPOSE 7070 7071 7072 7073 7074 7946/udp
ENTRYPOINT ["/usr/local/bin/pakit-storage"]
