using System.Reflection;
using System.Reflection.Emit;

namespace PlanBot.Core.Tests.Architecture;

/// <summary>
/// Core's namespaces (Config, Discovery, Plans, Policy, Workflows, …; a sub-namespace counts as its
/// parent) depend on each other one way only. Read from the compiled assembly: signatures, base types,
/// attributes and every type, method and field a method body names (lambdas and async state machines
/// count for the type that declares them), so a dependency cannot hide from it.
/// </summary>
public sealed class NamespaceCycleTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue =
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    private static readonly Assembly Core = typeof(Core.Ports.IVcs).Assembly;

    /// <summary>
    /// The edges that still point up, each with the move that removes it: a ratchet. The graph less
    /// these must have no cycle, and each must still exist (remove it here once it is gone), so the
    /// list only shrinks.
    /// </summary>
    private static readonly Dictionary<(string From, string To), string> KnownBackEdges = new()
    {
    };

    [Fact]
    public void Core_namespaces_have_no_cycles_beyond_the_known_back_edges()
    {
        var edges = Edges();
        edges.Keys.ShouldContain(("Workflows", "Ports"), "the scan must see the workflows' use of the ports (else it reads nothing)");
        KnownBackEdges.Keys.Where(known => !edges.ContainsKey(known)).Select(k => $"{k.From} → {k.To}").ShouldBeEmpty("gone: remove it from KnownBackEdges");
        foreach (var known in KnownBackEdges.Keys)
        {
            edges.Remove(known);
        }

        var cycles = new List<string>();
        foreach (var ((from, to), example) in edges.OrderBy(e => e.Key.Item1, StringComparer.Ordinal).ThenBy(e => e.Key.Item2, StringComparer.Ordinal))
        {
            if (Path(edges, to, from) is { } back)
            {
                cycles.Add($"{from} → {to} ({example}) and back: {string.Join(" → ", back.Select(step => $"{step.From} → {step.To} ({edges[step]})"))}");
            }
        }

        cycles.ShouldBeEmpty("move the shared type to the namespace both may use (see docs/architecture.md, Core's folders)");
    }

    [Fact]
    public void The_command_parser_is_its_own_namespace_that_policy_and_workflows_both_use()
    {
        var edges = Edges();
        edges.Keys.ShouldContain(("Policy", "Commands"));
        edges.Keys.ShouldContain(("Workflows", "Commands"));
        edges.Keys.ShouldNotContain(("Policy", "Workflows"));
        edges.Keys.ShouldNotContain(("Rendering", "Workflows"));
        edges.Keys.Where(e => e.From == "Commands").ShouldBeEmpty("the parser and UserText stand on nothing else of Core");
    }

    /// <summary>The steps from <paramref name="start"/> to <paramref name="goal"/>, or null.</summary>
    private static List<(string From, string To)>? Path(Dictionary<(string, string), string> edges, string start, string goal)
    {
        var previous = new Dictionary<string, string> { [start] = start };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var at))
        {
            if (at == goal)
            {
                var path = new List<(string, string)>();
                for (var step = goal; step != start; step = previous[step])
                {
                    path.Insert(0, (previous[step], step));
                }

                return path;
            }

            foreach (var ((from, to), _) in edges)
            {
                if (from == at && previous.TryAdd(to, at))
                {
                    queue.Enqueue(to);
                }
            }
        }

        return null;
    }

    /// <summary>Namespace → namespace, with one example of the types that make the edge.</summary>
    private static Dictionary<(string From, string To), string> Edges()
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in Core.GetTypes())
        {
            var from = Area(type);
            if (from is null)
            {
                continue;
            }

            foreach (var used in Uses(type).SelectMany(Expand).Distinct())
            {
                if (Area(used) is { } to && to != from)
                {
                    edges.TryAdd((from, to), $"{Outermost(type).Name} uses {Outermost(used).Name}");
                }
            }
        }

        return edges;
    }

    /// <summary>The Core namespace a type belongs to, by its outermost declaring type: "Plans" for PlanBot.Core.Plans.Values; null outside Core.</summary>
    private static string? Area(Type type)
    {
        var outer = Outermost(type);
        if (outer.Assembly != Core || outer.Namespace is not { } ns || !ns.StartsWith("PlanBot.Core", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = ns.Split('.');
        return parts.Length > 2 ? parts[2] : "(root)";
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } declaring && !type.IsGenericParameter)
        {
            type = declaring;
        }

        return type;
    }

    /// <summary>A type and what it is made of: element types, generic arguments.</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.IsGenericParameter)
        {
            yield break;
        }

        if (type.HasElementType)
        {
            foreach (var inner in Expand(type.GetElementType()!))
            {
                yield return inner;
            }

            yield break;
        }

        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return argument;
            }
        }
    }

    private static IEnumerable<Type> Uses(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (var face in type.GetInterfaces())
        {
            yield return face;
        }

        foreach (var attribute in type.GetCustomAttributesData())
        {
            yield return attribute.AttributeType;
        }

        foreach (var field in type.GetFields(All))
        {
            yield return field.FieldType;
        }

        foreach (var property in type.GetProperties(All))
        {
            yield return property.PropertyType;
        }

        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
            {
                yield return info.ReturnType;
            }

            foreach (var parameter in method.GetParameters())
            {
                yield return parameter.ParameterType;
            }

            foreach (var used in BodyUses(method))
            {
                yield return used;
            }
        }
    }

    /// <summary>Every type, method and field the IL of <paramref name="method"/> names, and its locals.</summary>
    private static IEnumerable<Type> BodyUses(MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null)
        {
            yield break;
        }

        foreach (var local in body.LocalVariables)
        {
            yield return local.LocalType;
        }

        var il = body.GetILAsByteArray() ?? [];
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    var member = Resolve(method.Module, BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                    if (member is Type used)
                    {
                        yield return used;
                    }
                    else if (member is not null)
                    {
                        yield return member.DeclaringType!;
                        if (member is FieldInfo field)
                        {
                            yield return field.FieldType;
                        }
                        else if (member is MethodInfo called)
                        {
                            yield return called.ReturnType;
                            foreach (var argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                            {
                                yield return argument;
                            }
                        }
                    }

                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }

    private static MemberInfo? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            return module.ResolveMember(token, typeArguments, methodArguments);
        }
        catch (ArgumentException)
        {
            return null; // a member of another assembly that is not loaded: not Core's
        }
    }
}
