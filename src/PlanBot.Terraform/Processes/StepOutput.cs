using System.Text;

namespace PlanBot.Terraform.Processes;

/// <summary>The end of a step's log, for the comment: bounded, read from the file (the output is never held whole).</summary>
public static class StepOutput
{
    public const int MaxBytes = 64 * 1024;

    public static string Tail(string logFile)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var start = Math.Max(0, stream.Length - MaxBytes);
            stream.Position = start;
            var buffer = new byte[stream.Length - start];
            stream.ReadExactly(buffer);
            var text = Encoding.UTF8.GetString(buffer).TrimStart('\uFEFF'); // the log writer's byte order mark
            return start > 0 && text.IndexOf('\n', StringComparison.Ordinal) is var cut and >= 0 ? text[(cut + 1)..] : text; // no half line
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
