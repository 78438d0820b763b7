# syntax=docker/dockerfile:1
# PlanBot: the GitHub Action image (the default, last target) and the webhook service (--target service).
# The publish command is the one CI runs (tests/PlanBot.Cli.Tests/PackagingTests.cs checks they match).
# Releases (.github/workflows/release.yml) build both for amd64 and arm64 and refuse base images
# not pinned by digest: pass SDK_IMAGE / RUNTIME_IMAGE as name:tag@sha256:<index digest>
# (docker buildx imagetools inspect mcr.microsoft.com/dotnet/aspnet:10.0 prints it).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
# the runtime of the platform being built (buildx sets TARGETARCH: amd64 or arm64)
ARG TARGETARCH
RUN RID=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet publish src/PlanBot.Cli -c Release -r $RID --self-contained false -p:PublishReadyToRun=true -o /out

# planbot-render: the comment of one plan JSON as a NativeAOT binary of Core alone (src/PlanBot.Render,
# issue 19), byte for byte `planbot render`'s with default settings. .ci/run publishes it the same
# way and runs RenderBinaryTests on it; the smoke test runs the binary here.
FROM ${SDK_IMAGE} AS render-build
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG TARGETARCH
RUN RID=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet publish src/PlanBot.Render -c Release -r $RID -o /render \
 && /render/planbot-render --help >/dev/null

# The Action's planbot: the same CLI as a NativeAOT executable without the service's commands, linked at a
# fixed address (issue 19: starts in ~15 ms, `dotnet planbot.dll` in ~125; docs/performance.md, and
# docs/security.md for the ASLR trade-off). .ci/run publishes it the same way and runs PlanBot.Published.Tests on it.
FROM ${SDK_IMAGE} AS action-build
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG TARGETARCH
RUN RID=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet publish src/PlanBot.Cli -c Release -r $RID -p:PublishAot=true -o /aot \
 && /aot/planbot projects --repo examples/monorepo >/dev/null

FROM ${RUNTIME_IMAGE} AS runtime
# the platform being built: terraform and tofu are downloaded for it (an amd64 binary does not run on arm64)
ARG TARGETARCH
ARG TERRAFORM_VERSION=1.11.4
# From HashiCorp's terraform_1.11.4_SHA256SUMS, one per platform; the download is refused when it does not match.
ARG TERRAFORM_SHA256_AMD64=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc
ARG TERRAFORM_SHA256_ARM64=a43d1d0da9b9bab214a8305a39db0e40869572594ccf50c416a7756499143633
# OpenTofu (`terraform-binary: tofu`), from its GitHub release. Set TOFU_SHA256 to the digest from
# tofu_<version>_SHA256SUMS for the platform built to pin it like terraform's; unset, the zip is checked against that
# release's SHA256SUMS as downloaded. Other versions a project asks for are installed at run time
# from terraform.mirror into PLANBOT_DATA_DIR/versions, verified the same way (docs/configuration.md).
ARG TOFU_VERSION=1.9.0
ARG TOFU_SHA256=
RUN ARCH=$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo amd64) \
 && TERRAFORM_SHA256=$([ "$ARCH" = arm64 ] && echo "$TERRAFORM_SHA256_ARM64" || echo "$TERRAFORM_SHA256_AMD64") \
 && apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates curl unzip \
 && curl -fsSLo /tmp/terraform.zip "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/terraform_${TERRAFORM_VERSION}_linux_${ARCH}.zip" \
 && echo "${TERRAFORM_SHA256}  /tmp/terraform.zip" | sha256sum -c - \
 && unzip /tmp/terraform.zip -d /usr/local/bin terraform \
 && rm /tmp/terraform.zip \
 && curl -fsSLo /tmp/tofu.zip "https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}/tofu_${TOFU_VERSION}_linux_${ARCH}.zip" \
 && curl -fsSLo /tmp/tofu.sums "https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}/tofu_${TOFU_VERSION}_SHA256SUMS" \
 && TOFU_EXPECTED="${TOFU_SHA256:-$(grep " tofu_${TOFU_VERSION}_linux_${ARCH}.zip\$" /tmp/tofu.sums | cut -d' ' -f1)}" \
 && test -n "${TOFU_EXPECTED}" \
 && echo "${TOFU_EXPECTED}  /tmp/tofu.zip" | sha256sum -c - \
 && unzip /tmp/tofu.zip -d /usr/local/bin tofu \
 && rm /tmp/tofu.zip /tmp/tofu.sums \
 && apt-get purge -y curl unzip && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /app
COPY --from=render-build /render/planbot-render /usr/local/bin/planbot-render
# `planbot demo` plans this monorepo; it is looked for beside the binary.
COPY examples /app/examples
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

# The webhook service: the base image's unprivileged `app` user, its port, and a health check on
# readiness (503 while the queue cannot be reached), without curl in the image.
FROM runtime AS service
ENV PLANBOT_DATA_DIR=/data
RUN mkdir -p /data && chown "$APP_UID" /data
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=6s --retries=3 CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "/app/planbot.dll"]
CMD ["serve", "--urls", "http://0.0.0.0:8080"]

# The GitHub Action (default target). GitHub runs container actions as root, and documents that a
# USER instruction breaks access to GITHUB_WORKSPACE; the runner's job container is the boundary.
# Its entry point is the NativeAOT planbot, in /app beside planbot.dll (every command) and examples/
# (`planbot demo` looks for them beside the binary: the release's smoke test runs it).
FROM runtime AS action
COPY --from=action-build /aot/planbot /app/planbot
ENTRYPOINT ["/app/planbot"]
