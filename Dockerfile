# syntax=docker/dockerfile:1
# PlanBot: the GitHub Action image and the webhook service (`planbot serve`).
# The publish command is the one CI runs (tests/PlanBot.Cli.Tests/PackagingTests.cs checks they match).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/PlanBot.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
ARG TERRAFORM_VERSION=1.11.4
# From HashiCorp's terraform_1.11.4_SHA256SUMS; the download is refused when it does not match.
ARG TERRAFORM_SHA256=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc
# OpenTofu (`terraform-binary: tofu`), from its GitHub release. Set TOFU_SHA256 to the digest from
# tofu_<version>_SHA256SUMS to pin it like terraform's; unset, the zip is checked against that
# release's SHA256SUMS as downloaded. Other versions a project asks for are installed at run time
# from terraform.mirror into PLANBOT_DATA_DIR/versions, verified the same way (docs/configuration.md).
ARG TOFU_VERSION=1.9.0
ARG TOFU_SHA256=
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates curl unzip \
 && curl -fsSLo /tmp/terraform.zip "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/terraform_${TERRAFORM_VERSION}_linux_amd64.zip" \
 && echo "${TERRAFORM_SHA256}  /tmp/terraform.zip" | sha256sum -c - \
 && unzip /tmp/terraform.zip -d /usr/local/bin terraform \
 && rm /tmp/terraform.zip \
 && curl -fsSLo /tmp/tofu.zip "https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}/tofu_${TOFU_VERSION}_linux_amd64.zip" \
 && curl -fsSLo /tmp/tofu.sums "https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}/tofu_${TOFU_VERSION}_SHA256SUMS" \
 && TOFU_EXPECTED="${TOFU_SHA256:-$(grep " tofu_${TOFU_VERSION}_linux_amd64.zip\$" /tmp/tofu.sums | cut -d' ' -f1)}" \
 && test -n "${TOFU_EXPECTED}" \
 && echo "${TOFU_EXPECTED}  /tmp/tofu.zip" | sha256sum -c - \
 && unzip /tmp/tofu.zip -d /usr/local/bin tofu \
 && rm /tmp/tofu.zip /tmp/tofu.sums \
 && apt-get purge -y curl unzip && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /app
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
ENTRYPOINT ["dotnet", "/app/planbot.dll"]
