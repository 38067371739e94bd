using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.Operations;

public sealed class PaginationTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    [Fact]
    public async Task List_WhileOperationsAreInserted_VisitsEveryEarlierOperationOnceWithoutGaps()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator);
        var existing = new List<Guid>();
        for (var i = 0; i < 45; i++)
        {
            var created = await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } })).ReadJsonAsync();
            existing.Add(created.GetProperty("id").GetGuid());
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = $"/api/v1/operations?agentId={agent}&limit=7" + (cursor is null ? string.Empty : $"&cursor={cursor}");
            var page = await (await client.GetAsync(url)).ReadJsonAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;

            // Insert new operations between page reads: they are newer and must not shift the pages.
            await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } });
            await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } });
        }
        while (cursor is not null && pages < 100);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        // The first page was read before any insert, so the walk sees exactly the earlier set.
        Assert.Equal(existing.Count, seen.Count);
        Assert.True(existing.ToHashSet().SetEquals(seen));
        Assert.Equal(7, pages);
    }

    [Fact]
    public async Task List_WithAForgedCursorOrOutOfRangeLimit_IsA400NamingTheParameter()
    {
        var client = factory.CreateClient(Roles.Viewer);
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?cursor=not!a!cursor"), "cursor");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?limit=0"), "limit");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?limit=201"), "limit");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?status=done"), "status");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/agents?limit=0"), "limit");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?kind=%00"), "kind");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?agentId=not-a-uuid"), "agentId");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/operations?limit=ten"), "limit");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/jobs/00000000-0000-0000-0000-000000000000/output?afterSeq=x"), "afterSeq");
        await ProblemAssert.HasFieldErrorAsync(await factory.CreateClient("admin").GetAsync("/api/v1/audit?actor=a%00b"), "actor");
        await ProblemAssert.HasFieldErrorAsync(await client.GetAsync("/api/v1/agents?cursor=%%%"), "cursor");
    }
}
