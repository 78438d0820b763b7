using System.Text;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Cli;

/// <summary>
/// stdout and stderr (the Actions log, the service log) with PlanBot's own secrets masked: text is
/// held until its line ends, so a secret written in pieces is still masked as a whole. A writer with
/// nothing to mask is used as it is.
/// </summary>
public sealed class MaskingWriter : TextWriter
{
    private readonly TextWriter _inner;
    private readonly SecretScrubber _scrubber;
    private readonly StringBuilder _line = new();

    private MaskingWriter(TextWriter inner, SecretScrubber scrubber)
    {
        _inner = inner;
        _scrubber = scrubber;
    }

    public override Encoding Encoding => _inner.Encoding;

    /// <summary><paramref name="inner"/> masking <paramref name="secrets"/> (PlanBotSettings.Secrets), or itself when there are none.</summary>
    public static TextWriter Wrap(TextWriter inner, IReadOnlyList<string> secrets)
    {
        var scrubber = new SecretScrubber(secrets, []);
        return scrubber.SecretCount == 0 || inner is MaskingWriter ? inner : new MaskingWriter(inner, scrubber);
    }

    /// <summary>A file's text (the JSON report, the job summary, GITHUB_OUTPUT, --comment-out) with <paramref name="secrets"/> (PlanBotSettings.Secrets) masked.</summary>
    public static string Scrub(string text, IReadOnlyList<string> secrets) => new SecretScrubber(secrets, []).Scrub(text);

    public override void Write(char value)
    {
        lock (_line)
        {
            _line.Append(value);
            if (value == '\n')
            {
                FlushLine();
            }
        }
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        lock (_line)
        {
            _line.Append(value);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                FlushLine();
            }
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Flush()
    {
        lock (_line)
        {
            if (_line.Length > 0)
            {
                _inner.Write(_scrubber.Scrub(_line.ToString()));
                _line.Clear();
            }
        }

        _inner.Flush();
    }

    public override Task FlushAsync()
    {
        Flush();
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override void WriteLine(string? value) => Write((value ?? "") + NewLine);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }

    /// <summary>Writes the complete lines held; a partial last line waits for its end (or Flush).</summary>
    private void FlushLine()
    {
        var text = _line.ToString();
        var end = text.LastIndexOf('\n') + 1;
        _inner.Write(_scrubber.Scrub(text[..end]));
        _line.Remove(0, end);
    }
}
