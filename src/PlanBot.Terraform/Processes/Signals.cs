using System.Runtime.InteropServices;

namespace PlanBot.Terraform.Processes;

/// <summary>
/// kill(2), for signalling a whole process group: .NET's Process.Kill reaches only the tree it can
/// see through parent ids, not processes re-parented to init.
/// </summary>
internal static partial class Signals
{
    public const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Kill(int pid, int signal);
}
