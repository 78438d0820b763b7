using System.Collections.Concurrent;
using System.Text.Json;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Plans;

/// <summary>
/// The per-change work of <see cref="PlanStream"/>: parse a resource's <c>change</c> object, digest its
/// values for the content fingerprint and collect the values it marks sensitive. On a big plan it runs
/// on a second thread while the reader goes on through the file (issue 19: the reader and the digests
/// each take about a third of a 10,000-change render), and the reader's thread joins in once it
/// reaches the end. What it finds is the same as when it runs inline: each change's result is its
/// own, sensitive values are a set, and errors are resolved after the pass in the order the inline
/// reader would have met them (<see cref="Resolve"/>).
/// </summary>
internal sealed class ChangeDigests
{
    /// <summary>From this size on, a plan's changes are digested beside the reader (below it, starting a thread costs more than it saves).</summary>
    public const int ParallelFrom = 512 * 1024;

    private static readonly JsonDocumentOptions PartOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = PlanReader.MaxDepth };

    private readonly List<Item> _items = [];
    private readonly HashSet<string> _sensitive;
    private readonly bool _parallel;
    private readonly FingerprintSalt? _salt;
    private ConcurrentQueue<Item>? _queue;
    private SemaphoreSlim? _ready;
    private Thread? _worker;
    private HashSet<string>? _workerSensitive;
    private volatile bool _done;

    /// <param name="sensitive">Where the reader's thread collects sensitive values (the worker's are added at <see cref="Finish"/>).</param>
    /// <param name="parallel">Whether changes are digested on a second thread.</param>
    /// <param name="salt">The salt the plan will be summarized with, if known: what the summary makes of each change is computed here too.</param>
    public ChangeDigests(HashSet<string> sensitive, bool parallel, FingerprintSalt? salt = null)
    {
        _sensitive = sensitive;
        _salt = salt;
        _parallel = parallel && Environment.ProcessorCount > 1;
    }

    /// <summary>One change object to digest; <paramref name="Order"/> is where the inline reader would have noted its errors.</summary>
    public sealed record Item(ResourceChangeJson Change, ReadOnlyMemory<byte> Slice, string ListPath, int Index, long Order)
    {
        /// <summary>A field of the wrong type inside the change (reported only once the whole file is known to be JSON).</summary>
        public JsonException? Wrong { get; set; }

        /// <summary>An error the inline reader would have stopped at (a string that is not text).</summary>
        public Exception? Failed { get; set; }
    }

    /// <summary>Digests <paramref name="item"/> now, or queues it for the second thread.</summary>
    public void Add(Item item)
    {
        _items.Add(item);
        if (!_parallel)
        {
            Process(item, _sensitive, _salt);
            return;
        }

        if (_worker is null)
        {
            _queue = new ConcurrentQueue<Item>();
            _ready = new SemaphoreSlim(0);
            _workerSensitive = new HashSet<string>(StringComparer.Ordinal);
            _worker = new Thread(Work) { IsBackground = true, Name = "planbot change digests" };
            _worker.Start();
        }

        _queue!.Enqueue(item);
        _ready!.Release();
    }

    /// <summary>Digests what is still queued on this thread too, waits for the second thread and merges its sensitive values.</summary>
    public void Finish()
    {
        if (_worker is null)
        {
            return;
        }

        _done = true;
        _ready!.Release();
        while (_queue!.TryDequeue(out var item))
        {
            Process(item, _sensitive, _salt);
        }

        _worker.Join();
        _sensitive.UnionWith(_workerSensitive!);
        _ready.Dispose();
        _worker = null;
    }

    /// <summary>
    /// The first error the inline reader would have stopped at (<see cref="Item.Failed"/>), else the
    /// first field of the wrong type before <paramref name="wrongOrder"/> (the reader's own first one).
    /// </summary>
    public (Exception? Failed, JsonException? Wrong, long WrongOrder) Resolve(long wrongOrder)
    {
        JsonException? wrong = null;
        foreach (var item in _items)
        {
            if (item.Failed is { } failed)
            {
                return (failed, null, 0);
            }

            if (wrong is null && item.Wrong is { } w && item.Order < wrongOrder)
            {
                (wrong, wrongOrder) = (w, item.Order);
            }
        }

        return (null, wrong, wrongOrder);
    }

    private void Work()
    {
        while (true)
        {
            _ready!.Wait();
            if (_queue!.TryDequeue(out var item))
            {
                Process(item, _workerSensitive!, _salt);
            }
            else if (_done)
            {
                return;
            }
        }
    }

    /// <summary>What the summary makes of a change (<see cref="PlanReader.Summarize(PlanJson, string, FingerprintSalt)"/>), computed here where it can be.</summary>
    private static ChangeJson.Precomputed Prepare(ChangeJson change, FingerprintSalt salt)
    {
        string[]? paths;
        try
        {
            paths = PlanReader.ReplacePaths(change.ReplacePaths);
        }
        catch (InvalidOperationException)
        {
            paths = null; // not text: the summary meets it again where it reports it
        }

        return new(change.Actions is { } actions ? string.Join(',', actions) : null, paths, salt, change.Content.Seal(salt));
    }

    /// <summary>What the reader did inline for each change: parse it on its own, digest it, collect its sensitive values.</summary>
    private static void Process(Item item, HashSet<string> sensitive, FingerprintSalt? salt)
    {
        try
        {
            using var document = JsonDocument.Parse(item.Slice, PartOptions);
            var root = document.RootElement;
            try
            {
                var change = ChangeJsonConverter.From(root, clone: true);
                item.Change.Change = change;
                if (salt is not null)
                {
                    change.Ready = Prepare(change, salt);
                }
            }
            catch (JsonException e)
            {
                // the path to the change, as the deserializer adds it
                item.Wrong = e.Path is null ? new JsonException(e.Message, $"{item.ListPath}[{item.Index}].change", null, null, e) : e;
                item.Change.Change = null;
            }

            if (root.ValueKind == JsonValueKind.Object)
            {
                SensitiveValues.Add(root, "before", "before_sensitive", sensitive);
                SensitiveValues.Add(root, "after", "after_sensitive", sensitive);
            }
        }
        catch (Exception e)
        {
            item.Failed = e; // thrown on the reader's thread, where the inline reader would have thrown it
        }
    }
}
