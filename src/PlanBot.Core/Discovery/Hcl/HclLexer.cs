using System.Globalization;
using System.Text;

namespace PlanBot.Core.Discovery.Hcl;

/// <summary>
/// Turns HCL native syntax into tokens. Tolerant: a problem becomes a diagnostic and lexing goes on,
/// so one bad file never stops discovery.
/// </summary>
internal sealed class HclLexer
{
    private readonly string _src;
    private readonly List<HclDiagnostic> _errors;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private int _interpolationDepth;
    private bool _tooDeepReported;

    public HclLexer(string source, List<HclDiagnostic> errors)
    {
        _src = source;
        _errors = errors;
    }

    public List<HclToken> Tokenize()
    {
        var tokens = new List<HclToken>(_src.Length / 4);
        while (true)
        {
            var token = Next();
            tokens.Add(token);
            if (token.Kind == HclTokenKind.Eof)
            {
                return tokens;
            }
        }
    }

    private int Column => _pos - _lineStart + 1;

    private char Peek(int ahead = 0) => _pos + ahead < _src.Length ? _src[_pos + ahead] : '\0';

    private void Error(int line, int column, string message) => _errors.Add(new HclDiagnostic(line, column, message));

    private HclToken Make(HclTokenKind kind, int start, int line, int column, string? text = null) =>
        new(kind, text ?? _src[start.._pos], start, _pos, line, column);

    private void NewLine()
    {
        _line++;
        _lineStart = _pos;
    }

    private HclToken Next()
    {
        SkipSpaceAndComments();
        var start = _pos;
        var line = _line;
        var column = Column;
        if (_pos >= _src.Length)
        {
            return Make(HclTokenKind.Eof, start, line, column, "");
        }

        var c = _src[_pos];
        switch (c)
        {
            case '\n':
                _pos++;
                NewLine();
                return Make(HclTokenKind.Newline, start, line, column, "\n");
            case '"':
                return ReadQuoted(start, line, column);
            case '{': _pos++; return Make(HclTokenKind.LBrace, start, line, column);
            case '}': _pos++; return Make(HclTokenKind.RBrace, start, line, column);
            case '[': _pos++; return Make(HclTokenKind.LBracket, start, line, column);
            case ']': _pos++; return Make(HclTokenKind.RBracket, start, line, column);
            case '(': _pos++; return Make(HclTokenKind.LParen, start, line, column);
            case ')': _pos++; return Make(HclTokenKind.RParen, start, line, column);
            case ',': _pos++; return Make(HclTokenKind.Comma, start, line, column);
            case ':': _pos++; return Make(HclTokenKind.Colon, start, line, column);
            case '=':
                _pos++;
                if (Peek() is '=' or '>')
                {
                    _pos++;
                    return Make(HclTokenKind.Other, start, line, column);
                }

                return Make(HclTokenKind.Equals, start, line, column);
            case '<' when Peek(1) == '<' && (char.IsLetter(Peek(2)) || (Peek(2) == '-' && char.IsLetter(Peek(3)))):
                return ReadHeredoc(start, line, column);
        }

        if (char.IsDigit(c))
        {
            return ReadNumber(start, line, column);
        }

        if (char.IsLetter(c) || c == '_')
        {
            while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] is '_' or '-'))
            {
                _pos++;
            }

            return Make(HclTokenKind.Ident, start, line, column);
        }

        // Operators and punctuation the reader does not need to understand: '.', '+', '&&', '?', …
        _pos++;
        if (c is '!' or '<' or '>' && Peek() == '=')
        {
            _pos++;
        }

        return Make(HclTokenKind.Other, start, line, column);
    }

    private void SkipSpaceAndComments()
    {
        while (_pos < _src.Length)
        {
            var c = _src[_pos];
            if (c is ' ' or '\t' or '\r' or '\uFEFF')
            {
                _pos++;
            }
            else if (c == '#' || (c == '/' && Peek(1) == '/'))
            {
                while (_pos < _src.Length && _src[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (c == '/' && Peek(1) == '*')
            {
                var line = _line;
                var column = Column;
                _pos += 2;
                while (_pos < _src.Length && !(_src[_pos] == '*' && Peek(1) == '/'))
                {
                    if (_src[_pos] == '\n')
                    {
                        _pos++;
                        NewLine();
                    }
                    else
                    {
                        _pos++;
                    }
                }

                if (_pos >= _src.Length)
                {
                    Error(line, column, "unterminated /* comment: close it with */");
                }
                else
                {
                    _pos += 2;
                }
            }
            else
            {
                return;
            }
        }
    }

    private HclToken ReadNumber(int start, int line, int column)
    {
        while (_pos < _src.Length && (char.IsDigit(_src[_pos]) || _src[_pos] == '.' && char.IsDigit(Peek(1))))
        {
            _pos++;
        }

        if (Peek() is 'e' or 'E' && (char.IsDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsDigit(Peek(2)))))
        {
            _pos += 2;
            while (char.IsDigit(Peek()))
            {
                _pos++;
            }
        }

        return Make(HclTokenKind.Number, start, line, column);
    }

    /// <summary>A quoted template. Literal text is decoded; any interpolation makes it a Template token.</summary>
    /// <param name="keepText">False for strings inside an interpolation: their text is discarded, and
    /// building it at every nesting level would cost depth × length.</param>
    private HclToken ReadQuoted(int start, int line, int column, bool keepText = true)
    {
        _pos++; // opening quote
        var text = keepText ? new StringBuilder() : null;
        var isTemplate = false;
        while (true)
        {
            if (_pos >= _src.Length || _src[_pos] == '\n')
            {
                Error(line, column, "unterminated string: add the closing \" on the same line (use a heredoc <<EOT for multi-line text)");
                return Make(HclTokenKind.Template, start, line, column, text?.ToString() ?? "");
            }

            var c = _src[_pos];
            if (c == '"')
            {
                _pos++;
                return Make(isTemplate ? HclTokenKind.Template : HclTokenKind.String, start, line, column, text?.ToString() ?? "");
            }

            if (c == '\\')
            {
                ReadEscape(text);
            }
            else if ((c is '$' or '%') && Peek(1) == c && Peek(2) == '{')
            {
                text?.Append(c).Append('{'); // $${ and %%{ are literal
                _pos += 3;
            }
            else if ((c is '$' or '%') && Peek(1) == '{')
            {
                isTemplate = true;
                var interpStart = _pos;
                _pos += 2;
                _interpolationDepth++;
                SkipInterpolation(line, column);
                _interpolationDepth--;
                text?.Append(_src, interpStart, _pos - interpStart);
            }
            else
            {
                text?.Append(c);
                _pos++;
            }
        }
    }

    private void ReadEscape(StringBuilder? text)
    {
        var e = Peek(1);
        _pos += 2;
        switch (e)
        {
            case 'n': text?.Append('\n'); break;
            case 't': text?.Append('\t'); break;
            case 'r': text?.Append('\r'); break;
            case '"': text?.Append('"'); break;
            case '\\': text?.Append('\\'); break;
            case 'u' or 'U':
                var length = e == 'u' ? 4 : 8;
                if (_pos + length <= _src.Length &&
                    int.TryParse(_src.AsSpan(_pos, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code) &&
                    code is >= 0 and <= 0x10FFFF)
                {
                    text?.Append(char.ConvertFromUtf32(code));
                    _pos += length;
                }
                else
                {
                    Error(_line, Column, $"bad \\{e} escape: expected {length} hex digits");
                }

                break;
            default:
                Error(_line, Column - 2, $"unknown escape \\{e} in string: use \\\\ for a backslash");
                text?.Append(e);
                break;
        }
    }

    /// <summary>Skips a ${…} or %{…} body, including nested braces and strings; newlines are allowed inside.</summary>
    private void SkipInterpolation(int line, int column)
    {
        var depth = 1;
        while (_pos < _src.Length && depth > 0)
        {
            var c = _src[_pos];
            if (c == '{')
            {
                depth++;
                _pos++;
            }
            else if (c == '}')
            {
                depth--;
                _pos++;
            }
            else if (c == '"' && _interpolationDepth >= HclParser.MaxDepth)
            {
                // Strings inside interpolations inside strings recurse: from here on, quotes are skipped
                // as plain characters (braces still balance), so the stack stays bounded.
                if (!_tooDeepReported)
                {
                    _tooDeepReported = true;
                    Error(line, column, $"interpolations nested more than {HclParser.MaxDepth} levels deep: PlanBot does not read deeper; flatten this value");
                }

                _pos++;
            }
            else if (c == '"')
            {
                var save = _errors.Count;
                ReadQuoted(_pos, _line, Column, keepText: false);
                if (_errors.Count > save)
                {
                    return;
                }
            }
            else
            {
                if (c == '\n')
                {
                    _pos++;
                    NewLine();
                }
                else
                {
                    _pos++;
                }
            }
        }

        if (depth > 0)
        {
            Error(line, column, "unterminated ${ interpolation: close it with }");
        }
    }

    private HclToken ReadHeredoc(int start, int line, int column)
    {
        _pos += 2;
        var indented = Peek() == '-';
        if (indented)
        {
            _pos++;
        }

        var markerStart = _pos;
        while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_'))
        {
            _pos++;
        }

        var marker = _src[markerStart.._pos];
        while (Peek() is ' ' or '\t' or '\r')
        {
            _pos++;
        }

        if (Peek() != '\n')
        {
            Error(line, column, $"heredoc <<{marker} must be followed by a newline");
        }
        else
        {
            _pos++;
            NewLine();
        }

        var lines = new List<string>();
        while (_pos < _src.Length)
        {
            var end = _src.IndexOf('\n', _pos);
            var lineText = end < 0 ? _src[_pos..] : _src[_pos..end];
            if (lineText.Trim() == marker)
            {
                // The closing marker's own newline ends the attribute: leave it for the token stream.
                _pos = end < 0 ? _src.Length : end;
                return HeredocToken(start, line, column, lines, indented);
            }

            _pos = end < 0 ? _src.Length : end + 1;
            if (end >= 0)
            {
                NewLine();
            }

            lines.Add(lineText.TrimEnd('\r'));
        }

        Error(line, column, $"unterminated heredoc: add a line with just {marker} to close it");
        return HeredocToken(start, line, column, lines, indented);
    }

    private HclToken HeredocToken(int start, int line, int column, List<string> lines, bool indented)
    {
        if (indented)
        {
            var indent = lines.Where(l => l.Trim().Length > 0)
                .Select(l => l.Length - l.TrimStart(' ', '\t').Length)
                .DefaultIfEmpty(0).Min();
            lines = lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()).ToList();
        }

        var text = lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
        var isTemplate = ContainsInterpolation(text);
        return Make(isTemplate ? HclTokenKind.Template : HclTokenKind.String, start, line, column, text);
    }

    private static bool ContainsInterpolation(string text)
    {
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (text[i] is '$' or '%' && text[i + 1] == '{' && (i == 0 || text[i - 1] != text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
