using PlanBot.Core.Plans;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>Every plan of ../shared/fixtures/plans (listed in FEATURES.tsv) loads; the broken ones give one line.</summary>
public class PlanCorpusTests
{
    public static TheoryData<string, string> Corpus()
    {
        var data = new TheoryData<string, string>();
        if (Fixtures.Root is null)
        {
            data.Add("(absent)", "");
            return data;
        }

        foreach (var line in File.ReadLines(Fixtures.Path("plans", "FEATURES.tsv")).Skip(1))
        {
            var columns = line.Split('\t');
            data.Add(columns[0], columns[3]);
        }

        return data;
    }

    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public async Task Every_plan_in_the_corpus_loads_or_gives_a_one_line_error(string file, string actions)
    {
        var path = Fixtures.Path("plans", file);
        var broken = file.Contains(".ARTIFICIAL.", StringComparison.Ordinal) || file.Contains(".INVALID-JSON.", StringComparison.Ordinal);
        if (broken)
        {
            var error = await Should.ThrowAsync<PlanFormatException>(() => PlanReader.ReadFileAsync(path));
            error.Message.ShouldNotContain("\n");
            error.Message.ShouldStartWith(path);
            return;
        }

        var plan = await PlanReader.ReadFileAsync(path);
        plan.Fingerprint.ShouldStartWith(PlanFingerprint.Prefix);

        // FEATURES.tsv counts actions as "create:7 no-op:1 delete,create:1"; ours must agree.
        var expected = actions.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a.Split(':'))
            .Where(a => a.Length == 2)
            .ToDictionary(a => a[0], a => int.Parse(a[1]));
        int Expected(params string[] keys) => keys.Sum(k => expected.GetValueOrDefault(k));
        plan.Counts.Create.ShouldBe(Expected("create"), "create");
        plan.Counts.Update.ShouldBe(Expected("update"), "update");
        plan.Counts.Delete.ShouldBe(Expected("delete"), "delete");
        plan.Counts.Replace.ShouldBe(Expected("delete-create", "create-delete"), "replace");
        plan.Counts.Read.ShouldBe(Expected("read"), "read");
    }

    /// <summary>
    /// A rendered plan is read in one forward pass (PlanStream) and a stored or applied one is
    /// streamed (PlanJsonContext): both must accept, refuse and fingerprint every plan alike, or an
    /// approval given on the comment would not match the plan applied.
    /// </summary>
    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public async Task The_document_and_the_streaming_reader_agree_on_every_plan(string file, string actions)
    {
        _ = actions;
        var path = Fixtures.Path("plans", file);
        var bytes = await File.ReadAllBytesAsync(path);
        var salt = new FingerprintSalt("corpus-salt-0123456789"u8);
        PlanSummary? streamed = null, detailed = null;
        Exception? streamError = null, documentError = null;
        try
        {
            streamed = await PlanReader.ReadAsync(new MemoryStream(bytes), path, salt);
        }
        catch (PlanFormatException e)
        {
            streamError = e;
        }

        try
        {
            detailed = PlanReader.ReadDetailed(bytes, path, [], salt);
        }
        catch (PlanFormatException e)
        {
            documentError = e;
        }

        (documentError is null).ShouldBe(streamError is null, $"stream: {streamError?.Message}; document: {documentError?.Message}");
        if (streamed is null || detailed is null)
        {
            documentError!.Message.ShouldStartWith(path);
            documentError.Message.ShouldNotContain("\n");
            return;
        }

        detailed.Fingerprint.ShouldBe(streamed.Fingerprint);
        detailed.Counts.ShouldBe(streamed.Counts);
        detailed.Changes.Select(c => (c.Address, c.ActionList, c.ContentDigest, string.Join("|", c.ReplacePaths), c.Importing, c.PreviousAddress))
            .ShouldBe(streamed.Changes.Select(c => (c.Address, c.ActionList, c.ContentDigest, string.Join("|", c.ReplacePaths), c.Importing, c.PreviousAddress)));
        detailed.Drift.Select(c => c.Address).ShouldBe(streamed.Drift.Select(c => c.Address));
        detailed.OutputChanges.ShouldBe(streamed.OutputChanges);
        (detailed.FormatVersion, detailed.TerraformVersion, detailed.Errored).ShouldBe((streamed.FormatVersion, streamed.TerraformVersion, streamed.Errored));
    }

    [FixtureFact]
    public async Task The_corpus_has_replaces_of_both_orders_and_errored_plans()
    {
        var deleteCreate = await PlanReader.ReadFileAsync(Fixtures.Path("plans", "jond3k-tfplan-validator", "delete-create.json"));
        deleteCreate.Changes.Single(c => c.Action == ChangeAction.Replace).ActionList.ShouldBe("delete,create");
        var createDelete = await PlanReader.ReadFileAsync(Fixtures.Path("plans", "jond3k-tfplan-validator", "create-delete.json"));
        createDelete.Changes.Single(c => c.Action == ChangeAction.Replace).ActionList.ShouldBe("create,delete");
        deleteCreate.Fingerprint.ShouldNotBe(createDelete.Fingerprint);
    }
}
