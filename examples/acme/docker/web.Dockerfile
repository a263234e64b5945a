# storefront web: the good example — multi-stage, pinned bases, numeric non-root USER.
ARG NODE_IMAGE=public.ecr.aws/docker/library/node:20.17-bookworm-slim@sha256:3f3b5d4e2b1c7a9e8d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
RUN npm run build

FROM gcr.io/distroless/nodejs20-debian12:nonroot@sha256:8d1c5a4e3b2f1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e
LABEL org.opencontainers.image.ref.name="111122223333.dkr.ecr.eu-west-1.amazonaws.com/acme/web"
WORKDIR /app
COPY --from=build /src/dist /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s CMD ["/nodejs/bin/node", "/app/healthcheck.js"]
CMD ["/app/server.js"]
