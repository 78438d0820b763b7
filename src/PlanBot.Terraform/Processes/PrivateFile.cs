namespace PlanBot.Terraform.Processes;

/// <summary>
/// Files PlanBot keeps that can hold secrets (plan files, `show -json` output, terraform logs) are
/// readable by their owner only (0600), so another user or process on a shared runner cannot read them.
/// </summary>
public static class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens <paramref name="path"/> for writing; a file it creates is 0600, one that exists is narrowed to 0600.</summary>
    public static FileStream OpenWrite(string path, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var stream = new FileStream(path, options);
        Restrict(path);
        return stream;
    }

    /// <summary>Narrows an existing file (one terraform wrote, e.g. the plan file) to 0600; a missing one is left alone.</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }
    }
}
