namespace PlanBot.Core.Discovery.Hcl;

internal enum HclTokenKind
{
    Ident,
    Number,
    String,
    Template,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Equals,
    Colon,
    Comma,
    Newline,
    Other,
    Eof,
}

/// <summary>A token; <see cref="Text"/> is the decoded literal for strings, the source text otherwise.</summary>
internal readonly record struct HclToken(HclTokenKind Kind, string Text, int Start, int End, int Line, int Column);
