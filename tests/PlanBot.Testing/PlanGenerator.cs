using System.Text;

namespace PlanBot.Testing;

/// <summary>
/// Realistic `terraform show -json` documents of any size (about 2.8 KB per resource, with
/// planned_values and prior_state as terraform writes them), for size, masking and speed tests.
/// Every resource copies the sensitive <see cref="Secret"/> into an unmarked attribute, as
/// terraform_data.output does with a sensitive input.
/// </summary>
public static class PlanGenerator
{
    public const string Secret = "Sup3r-S3cret-Pa55w0rd";

    /// <summary>Actions cycle: 4 creates, 3 updates, 1 delete, 2 replaces in every 10 resources.</summary>
    public static string Plan(int resources, int policyBytes = 0)
    {
        var changes = new StringBuilder();
        var planned = new StringBuilder();
        var prior = new StringBuilder();
        for (var i = 0; i < resources; i++)
        {
            var kind = (i % 10) switch { < 4 => "create", < 7 => "update", 7 => "delete", _ => "replace" };
            var address = $"module.svc{i % 25}.aws_instance.web[{i}]";
            var before = kind == "create" ? "null" : Values(i, "t3.micro", "v1", policyBytes);
            var after = kind == "delete" ? "null" : Values(i, kind == "update" ? "t3.small" : "t3.micro", kind == "replace" ? "v2" : "v1", policyBytes, extraRule: kind == "update");
            var actions = kind == "replace" ? "\"delete\",\"create\"" : $"\"{kind}\"";
            var sensitive = "{\"password\":true,\"ingress\":[{},{}]}";
            var unknown = kind is "create" or "replace" ? "{\"id\":true,\"arn\":true,\"private_ip\":true}" : "{}";
            Comma(changes).Append($$$"""
                {"address":"{{{address}}}","module_address":"module.svc{{{i % 25}}}","mode":"managed","type":"aws_instance","name":"web","index":{{{i}}},
                 "provider_name":"registry.terraform.io/hashicorp/aws",{{{(kind == "delete" ? "\"action_reason\":\"delete_because_count_index\"," : kind == "replace" ? "\"action_reason\":\"replace_because_cannot_update\"," : "")}}}
                 "change":{"actions":[{{{actions}}}],"before":{{{before}}},"after":{{{after}}},"after_unknown":{{{unknown}}},
                  "before_sensitive":{{{(kind == "create" ? "false" : sensitive)}}},"after_sensitive":{{{(kind == "delete" ? "false" : sensitive)}}}{{{(kind == "replace" ? ",\"replace_paths\":[[\"ami\"]]" : "")}}}}}
                """);
            if (kind != "delete")
            {
                Comma(planned).Append($"{{\"address\":\"{address}\",\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"web\",\"index\":{i},\"values\":{after},\"sensitive_values\":{sensitive}}}");
            }

            if (kind != "create")
            {
                // prior state does not mark the copy (nor, in older terraform, the password itself)
                Comma(prior).Append($"{{\"address\":\"{address}\",\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"web\",\"index\":{i},\"values\":{before},\"sensitive_values\":{{}}}}");
            }
        }

        return $$$"""
            {"format_version":"1.2","terraform_version":"1.11.4",
             "variables":{"db_password":{"value":"{{{Secret}}}"}},
             "planned_values":{"root_module":{"resources":[{{{planned}}}]}},
             "resource_changes":[{{{changes}}}],
             "output_changes":{"db_password":{"actions":["update"],"before":"old-{{{Secret}}}","after":"{{{Secret}}}","after_unknown":false,"before_sensitive":true,"after_sensitive":true} },
             "prior_state":{"format_version":"1.0","terraform_version":"1.11.4","values":{"root_module":{"resources":[{{{prior}}} ]} } },
             {{{Configuration}}}
            """;
    }

    private const string Configuration = "\"configuration\":{\"root_module\":{\"variables\":{\"db_password\":{\"sensitive\":true}}}}}";

    private static StringBuilder Comma(StringBuilder sb) => sb.Length > 0 ? sb.Append(',') : sb;

    private static string Values(int i, string size, string version, int policyBytes, bool extraRule = false)
    {
        var policy = Policy(i, version, policyBytes);
        var rules = $"{{\"name\":\"https\",\"port\":443,\"cidr\":\"10.{i % 250}.0.0/16\"}},{{\"name\":\"ssh\",\"port\":22,\"cidr\":\"10.0.0.0/8\"}}" +
                    (extraRule ? ",{\"name\":\"metrics\",\"port\":9100,\"cidr\":\"10.0.0.0/8\"}" : "");
        return $"{{\"ami\":\"ami-{(version == "v1" ? i : i + 1):x8}\",\"instance_type\":\"{size}\",\"id\":\"i-{i:x12}\",\"arn\":\"arn:aws:ec2:eu-west-1:123456789012:instance/i-{i:x12}\"," +
               $"\"private_ip\":\"10.{i % 250}.{i / 250 % 250}.{i % 200 + 10}\",\"password\":\"{Secret}\"," +
               $"\"connection\":\"postgres://app:{Secret}@db-{i}.internal:5432/app\"," +
               $"\"tags\":{{\"Name\":\"web-{i}\",\"Team\":\"platform\",\"Env\":\"prod\",\"CostCenter\":\"cc-{i % 7}\"}}," +
               $"\"ingress\":[{rules}]," +
               $"\"user_data\":\"#!/bin/bash\\nset -euo pipefail\\necho starting web-{i}\\nsystemctl enable --now app\\n\",\"policy\":{Quote(policy)}}}";
    }

    /// <summary>A JSON policy document (as a string attribute), padded to about <paramref name="bytes"/>.</summary>
    public static string Policy(int i, string version, int bytes)
    {
        var statements = new List<string>
        {
            $"{{\"Sid\":\"Read\",\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":\"arn:aws:s3:::bucket-{i}/*\"}}",
            $"{{\"Sid\":\"Write\",\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::bucket-{i}/{version}/*\"}}",
        };
        for (var n = 0; statements.Sum(s => s.Length) < bytes; n++)
        {
            statements.Add($"{{\"Sid\":\"Extra{n}\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bucket-{i}/prefix-{n}/*\"}}");
        }

        return $"{{\"Version\":\"2012-10-17\",\"Statement\":[{string.Join(',', statements)}]}}";
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
