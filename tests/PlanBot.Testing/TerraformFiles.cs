namespace PlanBot.Testing;

/// <summary>Small terraform_data configurations for scenario repos.</summary>
public static class TerraformFiles
{
    public const string LocalBackend = "terraform {\n  backend \"local\" {\n    path = \"terraform.tfstate\"\n  }\n}\n";

    /// <summary>terraform's s3 backend on s3rver (state) and dynalite (its lock table), as teams run it on AWS.</summary>
    public static string S3Backend(string bucket, string key, string table) => $$"""
        terraform {
          backend "s3" {
            bucket                      = "{{bucket}}"
            key                         = "{{key}}"
            region                      = "us-east-1"
            dynamodb_table              = "{{table}}"
            access_key                  = "S3RVER"
            secret_key                  = "S3RVER"
            use_path_style              = true
            skip_credentials_validation = true
            skip_requesting_account_id  = true
            skip_metadata_api_check     = true
            skip_region_validation      = true
            skip_s3_checksum            = true
            endpoints = {
              s3       = "{{TestServers.S3}}"
              dynamodb = "{{TestServers.DynamoDb}}"
            }
          }
        }

        """;

    public static string Resource(string name, string input, string? triggersReplace = null) =>
        $"resource \"terraform_data\" \"{name}\" {{\n  input = \"{input}\"\n" +
        (triggersReplace is null ? "" : $"  triggers_replace = [\"{triggersReplace}\"]\n") + "}\n";

    public static string Output(string name, string value) => $"output \"{name}\" {{\n  value = {value}\n}}\n";

    public static string ReadsStateOf(string relativeDir) =>
        $"data \"terraform_remote_state\" \"upstream\" {{\n  backend = \"local\"\n  config = {{\n    path = \"{relativeDir}/terraform.tfstate\"\n  }}\n}}\n";
}
