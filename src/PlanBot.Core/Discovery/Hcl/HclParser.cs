namespace PlanBot.Core.Discovery.Hcl;

/// <summary>
/// A tolerant reader of HCL native syntax: blocks, attributes, literals, lists and objects are read;
/// every other expression is kept as <see cref="HclUnknown"/>. Errors are collected, never thrown.
/// Nesting (blocks, lists, objects, interpolations) is read to <see cref="MaxDepth"/> levels: deeper
/// input is one error at its line and skipped without recursion, so no file can exhaust the stack.
/// </summary>
public static class HclParser
{
    /// <summary>
    /// Real configurations nest blocks and values a few dozen levels at most; 1,000 is far beyond any
    /// of them and well within the stack of every thread discovery runs on.
    /// </summary>
    public const int MaxDepth = 1_000;

    /// <summary>A file in pieces produces one error per line at most; the first ones are what a reader can act on.</summary>
    public const int MaxErrors = 20;

    public static HclFile Parse(string path, string source)
    {
        var errors = new List<HclDiagnostic>();
        var tokens = new HclLexer(source, errors).Tokenize();
        var body = new Reader(tokens, source, errors).ReadFile();
        return new HclFile(path, body, Cap(errors));
    }

    internal static IReadOnlyList<HclDiagnostic> Cap(List<HclDiagnostic> errors)
    {
        if (errors.Count <= MaxErrors)
        {
            return errors;
        }

        var shown = errors.OrderBy(e => e.Line).ThenBy(e => e.Column).Take(MaxErrors).ToList();
        shown.Add(shown[^1] with { Message = $"and {errors.Count - MaxErrors} more errors in this file (is it Terraform at all?)" });
        return shown;
    }

    private sealed class Reader(List<HclToken> tokens, string source, List<HclDiagnostic> errors)
    {
        private int _i;
        private int _depth;
        private bool _tooDeepReported;

        /// <summary>True (and reported once per file) when one more level would exceed <see cref="MaxDepth"/>.</summary>
        private bool TooDeep(HclToken at)
        {
            if (_depth < MaxDepth)
            {
                return false;
            }

            if (!_tooDeepReported)
            {
                _tooDeepReported = true;
                Error(at, $"nested more than {MaxDepth} levels deep (blocks, lists and objects): PlanBot does not read deeper; flatten this value");
            }

            return true;
        }

        /// <summary>Skips a balanced {…} starting at the current '{', without recursion.</summary>
        private void SkipBalancedBraces()
        {
            var depth = 0;
            do
            {
                depth += Take().Kind switch
                {
                    HclTokenKind.LBrace => 1,
                    HclTokenKind.RBrace => -1,
                    _ => 0,
                };
            }
            while (depth > 0 && Current.Kind != HclTokenKind.Eof);
        }

        private HclToken Current => tokens[_i];

        private HclToken Take() => tokens[Math.Min(_i++, tokens.Count - 1)];

        private void SkipNewlines()
        {
            while (Current.Kind == HclTokenKind.Newline)
            {
                _i++;
            }
        }

        private void Error(HclToken at, string message) => errors.Add(new HclDiagnostic(at.Line, at.Column, message));

        public HclBody ReadFile()
        {
            var body = ReadBody(nested: false);
            if (Current.Kind != HclTokenKind.Eof)
            {
                Error(Current, "unexpected '}': remove it or add the matching '{'");
            }

            return body;
        }

        private HclBody ReadBody(bool nested)
        {
            var attributes = new List<HclAttribute>();
            var blocks = new List<HclBlock>();
            while (true)
            {
                SkipNewlines();
                var token = Current;
                if (token.Kind == HclTokenKind.Eof)
                {
                    if (nested)
                    {
                        Error(token, "unexpected end of file: a block is missing its closing '}'");
                    }

                    return new HclBody(attributes, blocks);
                }

                if (token.Kind == HclTokenKind.RBrace)
                {
                    if (nested)
                    {
                        _i++;
                        return new HclBody(attributes, blocks);
                    }

                    Error(token, "unexpected '}': remove it or add the matching '{'");
                    _i++;
                    continue;
                }

                if (token.Kind != HclTokenKind.Ident)
                {
                    Error(token, $"expected an attribute name or block type, found '{token.Text}'");
                    Recover();
                    continue;
                }

                _i++;
                if (Current.Kind == HclTokenKind.Equals)
                {
                    _i++;
                    var value = ReadExpression(newlineEnds: true);
                    attributes.Add(new HclAttribute(token.Text, value, token.Line));
                    EndOfItem();
                    continue;
                }

                var labels = new List<string>();
                while (Current.Kind is HclTokenKind.String or HclTokenKind.Ident)
                {
                    labels.Add(Take().Text);
                }

                if (Current.Kind != HclTokenKind.LBrace)
                {
                    Error(Current, $"expected '=' or '{{' after '{token.Text}', found '{Describe(Current)}'");
                    Recover();
                    continue;
                }

                if (TooDeep(Current))
                {
                    SkipBalancedBraces();
                    EndOfItem();
                    continue;
                }

                _i++;
                _depth++;
                var inner = ReadBody(nested: true);
                _depth--;
                blocks.Add(new HclBlock(token.Text, labels, inner, token.Line));
                EndOfItem();
            }
        }

        /// <summary>After an attribute or block: a newline, a closing brace or the end of file.</summary>
        private void EndOfItem()
        {
            if (Current.Kind is HclTokenKind.Newline or HclTokenKind.RBrace or HclTokenKind.Eof)
            {
                return;
            }

            Error(Current, $"unexpected '{Describe(Current)}': put each attribute and block on its own line");
            Recover();
        }

        /// <summary>Skips to the end of the line at the current nesting depth.</summary>
        private void Recover()
        {
            var depth = 0;
            while (Current.Kind != HclTokenKind.Eof)
            {
                var kind = Current.Kind;
                if (depth == 0 && kind == HclTokenKind.Newline)
                {
                    return;
                }

                if (depth == 0 && kind == HclTokenKind.RBrace)
                {
                    return;
                }

                depth += kind switch
                {
                    HclTokenKind.LBrace or HclTokenKind.LBracket or HclTokenKind.LParen => 1,
                    HclTokenKind.RBrace or HclTokenKind.RBracket or HclTokenKind.RParen => -1,
                    _ => 0,
                };
                _i++;
            }
        }

        private static string Describe(HclToken token) => token.Kind switch
        {
            HclTokenKind.Newline => "end of line",
            HclTokenKind.Eof => "end of file",
            _ => token.Text,
        };

        private bool AtExpressionEnd(bool newlineEnds) => Current.Kind switch
        {
            HclTokenKind.Eof or HclTokenKind.RBrace or HclTokenKind.RBracket or HclTokenKind.RParen or HclTokenKind.Comma => true,
            HclTokenKind.Newline => newlineEnds,
            _ => false,
        };

        /// <summary>
        /// Reads one expression. A lone literal, list or object is evaluated; anything followed by an
        /// operator, call, index or reference becomes unknown, with its source text kept.
        /// </summary>
        /// <param name="newlineEnds">True for attribute and object values; list items may span lines.</param>
        private HclValue ReadExpression(bool newlineEnds)
        {
            if (!newlineEnds)
            {
                SkipNewlines();
            }

            var start = Current;
            var value = TryReadPrimary();
            if (!newlineEnds)
            {
                SkipNewlines();
            }

            if (value is not null && AtExpressionEnd(newlineEnds))
            {
                return value;
            }

            SkipRestOfExpression(newlineEnds);
            var end = _i > 0 ? tokens[_i - 1].End : start.Start;
            var text = end > start.Start ? source[start.Start..end].Trim() : "";
            if (text.Length == 0)
            {
                Error(start, $"expected a value, found '{Describe(start)}'");
            }

            return new HclUnknown(text);
        }

        private void SkipRestOfExpression(bool newlineEnds)
        {
            var depth = 0;
            while (Current.Kind != HclTokenKind.Eof)
            {
                if (depth == 0 && AtExpressionEnd(newlineEnds))
                {
                    return;
                }

                var kind = Current.Kind;
                if (kind is HclTokenKind.LBrace or HclTokenKind.LBracket or HclTokenKind.LParen)
                {
                    depth++;
                }
                else if (kind is HclTokenKind.RBrace or HclTokenKind.RBracket or HclTokenKind.RParen)
                {
                    depth--;
                }

                _i++;
            }
        }

        private HclValue? TryReadPrimary()
        {
            var token = Current;
            switch (token.Kind)
            {
                case HclTokenKind.String:
                    _i++;
                    return new HclString(token.Text);
                case HclTokenKind.Number:
                    _i++;
                    return new HclNumber(token.Text);
                case HclTokenKind.Ident when token.Text is "true" or "false":
                    _i++;
                    return new HclBool(token.Text == "true");
                case HclTokenKind.Ident when token.Text == "null":
                    _i++;
                    return HclNull.Instance;
                case HclTokenKind.Other when token.Text == "-" && tokens[_i + 1].Kind == HclTokenKind.Number:
                    _i += 2;
                    return new HclNumber("-" + tokens[_i - 1].Text);
                case HclTokenKind.LBracket or HclTokenKind.LBrace when TooDeep(token):
                    return null; // the caller skips the rest without recursion and keeps it unknown
                case HclTokenKind.LBracket when !StartsForExpression():
                    return Nested(ReadList);
                case HclTokenKind.LBrace when !StartsForExpression():
                    return Nested(ReadObject);
                default:
                    return null;
            }
        }

        private HclValue? Nested(Func<HclValue?> read)
        {
            _depth++;
            try
            {
                return read();
            }
            finally
            {
                _depth--;
            }
        }

        /// <summary>A name, a string, or a (expression) / template key whose value is not known statically.</summary>
        private string ReadObjectKey()
        {
            var keyToken = Take();
            if (keyToken.Kind is HclTokenKind.Ident or HclTokenKind.String)
            {
                return keyToken.Text;
            }

            if (keyToken.Kind == HclTokenKind.LParen)
            {
                var depth = 1;
                while (depth > 0 && Current.Kind != HclTokenKind.Eof)
                {
                    depth += Take().Kind switch
                    {
                        HclTokenKind.LParen => 1,
                        HclTokenKind.RParen => -1,
                        _ => 0,
                    };
                }
            }

            return source[keyToken.Start..tokens[_i - 1].End];
        }

        private bool StartsForExpression()
        {
            var j = _i + 1;
            while (tokens[j].Kind == HclTokenKind.Newline)
            {
                j++;
            }

            return tokens[j].Kind == HclTokenKind.Ident && tokens[j].Text == "for";
        }

        private HclValue? ReadList()
        {
            var open = Take();
            var items = new List<HclValue>();
            while (true)
            {
                SkipNewlines();
                if (Current.Kind == HclTokenKind.RBracket)
                {
                    _i++;
                    return new HclList(items);
                }

                if (Current.Kind is HclTokenKind.Eof or HclTokenKind.RBrace or HclTokenKind.RParen)
                {
                    Error(open, "list is missing its closing ']'");
                    return null;
                }

                items.Add(ReadExpression(newlineEnds: false));
                SkipNewlines();
                if (Current.Kind == HclTokenKind.Comma)
                {
                    _i++;
                }
                else if (Current.Kind != HclTokenKind.RBracket)
                {
                    Error(Current, $"expected ',' or ']' in list, found '{Describe(Current)}'");
                    return null;
                }
            }
        }

        private HclValue? ReadObject()
        {
            var open = Take();
            var items = new List<KeyValuePair<string, HclValue>>();
            while (true)
            {
                SkipNewlines();
                if (Current.Kind == HclTokenKind.RBrace)
                {
                    _i++;
                    return new HclObject(items);
                }

                if (Current.Kind is HclTokenKind.Eof or HclTokenKind.RBracket or HclTokenKind.RParen)
                {
                    Error(open, "object is missing its closing '}'");
                    return null;
                }

                var key = ReadObjectKey();
                if (Current.Kind is not (HclTokenKind.Equals or HclTokenKind.Colon))
                {
                    Error(Current, $"expected '=' or ':' after object key '{key}', found '{Describe(Current)}'");
                    return null;
                }

                _i++;
                items.Add(new(key, ReadExpression(newlineEnds: true)));
                if (Current.Kind == HclTokenKind.Comma)
                {
                    _i++;
                }
            }
        }
    }
}
