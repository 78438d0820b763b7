namespace PlanBot.Testing;

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "planbot-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="text"/> to <paramref name="relative"/> ('/'-separated) under the directory, its directories made; the full path.</summary>
    public string Write(string relative, string text)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a process may still hold a file on a slow shutdown
        }
    }
}
