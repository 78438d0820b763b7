using System.Collections.Concurrent;
using PlanBot.Core.Discovery.Hcl;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Discovery;

/// <summary>
/// A working tree's Terraform and Terragrunt files, listed, read and parsed on one background thread
/// while the run is still asking git and the code host who it trusts (issue 19: on the 24-project PR,
/// discovery was ~20 ms of the critical path between the configuration and the first lock ask).
/// <see cref="ProjectDiscovery.Discover(IFileTree, Config.PlanBotConfig, TreeReadAhead?)"/> takes each
/// file from here when it is done and parses the rest itself; each file is parsed once, by whichever
/// gets to it first (the other waits for that answer), so the result is exactly what discovery alone
/// would find. Discovery stops the read ahead when it starts (files it never asks for, under
/// <c>discovery.ignore</c>, are not read on), and a run that ends first stops it by disposing.
/// It reads through the same <see cref="IFileTree"/>, with the same bounds (symlinks kept inside
/// the tree, the size cap): it only moves reads discovery makes anyway earlier, and is used only
/// for the very tree it read (<see cref="Root"/>), which nothing writes to before discovery.
/// </summary>
public sealed class TreeReadAhead : IDisposable
{
    private readonly IFileTree _tree;
    private readonly ConcurrentDictionary<string, Lazy<ParsedFile>> _parsed = new(StringComparer.Ordinal);
    private readonly Lazy<IReadOnlyList<string>> _files;
    private readonly CancellationTokenSource _stop = new();
    private int _parsedAhead;
    private volatile bool _released;

    private TreeReadAhead(IFileTree tree)
    {
        _tree = tree;
        _files = new Lazy<IReadOnlyList<string>>(tree.ListFiles, LazyThreadSafetyMode.ExecutionAndPublication);
        var stop = _stop.Token; // taken now: the source may be disposed before the thread reads it
        // its thread is started from a pool thread: a thread that starts a thread waits until the new one runs, and on a
        // busy 2-core runner that wait was milliseconds of the caller's way to its first git (issue 19)
        Done = Task.Run(() => Task.Factory.StartNew(() => ReadAll(stop), stop, TaskCreationOptions.LongRunning, TaskScheduler.Default), stop);
    }

    /// <summary>The tree's root: the read ahead answers for this tree only.</summary>
    public string Root => _tree.Root;

    /// <summary>Completes when the background read has read every file or was stopped (tests).</summary>
    internal Task Done { get; }

    /// <summary>Files this read ahead parsed itself (tests: the work discovery found done).</summary>
    internal int ParsedAhead => Volatile.Read(ref _parsedAhead);

    /// <summary>Starts reading <paramref name="tree"/> in the background.</summary>
    public static TreeReadAhead Start(IFileTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return new TreeReadAhead(tree);
    }

    /// <summary>Every file of the tree (<see cref="IFileTree.ListFiles"/>), listed once.</summary>
    internal IReadOnlyList<string> ListFiles() => _files.Value;

    /// <summary>The parsed file at <paramref name="path"/>, parsed now by <paramref name="parse"/> unless the read ahead did (or is doing) it.</summary>
    internal ParsedFile Parse(string path, Func<string, ParsedFile> parse) =>
        _released ? parse(path) : _parsed.GetOrAdd(path, p => new Lazy<ParsedFile>(() => parse(p), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>Parsed files held (tests).</summary>
    internal int Held => _parsed.Count;

    /// <summary>
    /// Stops the read and lets go of what it holds (discovery has taken what it needed): the parsed files of dirs it
    /// ignored, and its own copies, are not kept for the rest of the run. What is parsed after is not kept.
    /// </summary>
    internal void Release()
    {
        Stop();
        _released = true;
        _parsed.Clear();
    }

    /// <summary>Whether <see cref="Stop"/> was called (tests).</summary>
    internal bool Stopped { get; private set; }

    /// <summary>Stops the background read after the file it is on; what it parsed stays.</summary>
    public void Stop()
    {
        Stopped = true;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed already: stopped
        }
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private void ReadAll(CancellationToken token)
    {
#pragma warning disable CA1031 // a failure here is kept by the Lazy it happened in, and discovery meets it again, as its own, when it asks for that list or file
        try
        {
            foreach (var path in _files.Value)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                if (ProjectDiscovery.IsDiscoveryFile(path))
                {
                    try
                    {
                        _ = Parse(path, p =>
                        {
                            Interlocked.Increment(ref _parsedAhead);
                            return ProjectDiscovery.ParseFile(_tree, p);
                        });
                    }
                    catch (Exception)
                    {
                        // the next file
                    }
                }
            }
        }
        catch (Exception)
        {
            // the tree could not be listed: discovery lists it and tells why
        }
#pragma warning restore CA1031
    }
}

/// <summary>A file as discovery reads it: parsed, or skipped with a warning (<see cref="SkippedFileException"/>).</summary>
internal readonly record struct ParsedFile(HclFile? File, string? Skipped);
