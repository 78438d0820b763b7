using System.Text;

namespace PlanBot.Core.Rendering;

/// <summary>
/// Writes Markdown into parts of at most <c>maxChars</c> characters. A part ends only between units
/// (a line, a resource, a project); when it ends inside a &lt;details&gt; section or a code fence,
/// both are closed and reopened at the top of the next part, so every part is balanced on its own.
/// </summary>
internal sealed class PartWriter
{
    private const string CloseDetails = "</details>\n\n";

    private readonly int _maxChars;
    private readonly int _footerReserve;
    private readonly Func<int, string> _marker;
    private readonly List<string> _parts = [];
    private StringBuilder _current = new();
    private int _emptyLength;
    private string? _section;
    private string? _fence;
    private string? _fenceOpen;

    public PartWriter(int maxChars, int footerReserve, Func<int, string> marker)
    {
        _maxChars = maxChars;
        _footerReserve = footerReserve;
        _marker = marker;
        Begin();
    }

    /// <summary>What a fresh part can take after its marker and reopened tags.</summary>
    private int FreshRoom => _maxChars - _footerReserve - _marker(_parts.Count + 2).Length - 200 - (_section?.Length ?? 0);

    private int Closing => (_fence is null ? 0 : _fence.Length + 1) + (_section is null ? 0 : CloseDetails.Length);

    private int Room => _maxChars - _footerReserve - Closing - _current.Length;

    /// <summary>One unit of text; split at line ends only when it cannot fit even a fresh part.</summary>
    public void Text(string text)
    {
        if (text.Length <= Room)
        {
            _current.Append(text);
            return;
        }

        if (text.Length <= FreshRoom || !text.Contains('\n', StringComparison.Ordinal))
        {
            NextPart();
            _current.Append(text.Length <= Room ? text : text[..Math.Max(0, Room - 2)] + "…\n");
            return;
        }

        foreach (var line in text.Split('\n'))
        {
            Text(line + "\n");
        }
    }

    /// <summary>Starts a new part first when a unit of this size would fit a fresh part but not this one.</summary>
    public void KeepTogether(int length)
    {
        if (length > Room && length <= FreshRoom && _current.Length > _emptyLength)
        {
            NextPart();
        }
    }

    public void OpenSection(string summary, int length)
    {
        KeepTogether(length);
        Text($"<details><summary>{summary}</summary>\n\n");
        _section = summary;
    }

    public void CloseSection()
    {
        _current.Append(CloseDetails);
        _section = null;
    }

    public void Code(string language, IReadOnlyList<string> lines)
    {
        var fence = Markdown.Fence(lines);
        KeepTogether(lines.Sum(l => l.Length + 1) + 2 * fence.Length + language.Length + 3);
        Text(fence + language + "\n");
        _fence = fence;
        _fenceOpen = fence + language + "\n";
        foreach (var line in lines)
        {
            Text(line + "\n");
        }

        _current.Append(fence).Append('\n');
        _fence = null;
        _fenceOpen = null;
        _current.Append('\n');
    }

    public IReadOnlyList<string> Finish(string footer)
    {
        _current.Append(footer);
        _parts.Add(_current.ToString());
        return _parts;
    }

    private void Begin()
    {
        _current = new StringBuilder(Math.Min(_maxChars, 1 << 16));
        _current.Append(_marker(_parts.Count + 1));
        _emptyLength = _current.Length;
    }

    private void NextPart()
    {
        if (_fence is not null)
        {
            _current.Append(_fence).Append('\n');
        }

        if (_section is not null)
        {
            _current.Append(CloseDetails);
        }

        _parts.Add(_current.ToString());
        Begin();
        if (_section is not null)
        {
            _current.Append($"<details><summary>{_section} (continued)</summary>\n\n");
        }

        if (_fenceOpen is not null)
        {
            _current.Append(_fenceOpen);
        }

        _emptyLength = _current.Length;
    }
}
