using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Local.Locks;

// planbot-lockholder DBFILE TTL_SECONDS: takes the run lock of acme/infra/app and renews it until killed.
var store = new SqliteLockStore(args[0], TimeProvider.System);
var key = new LockKey(LockKind.Run, "acme/infra", "app", "default");
var (lease, held) = await RunLease.TakeAsync(store, key, new LockOwner("acme/infra", 1, "sha", "holder", "run-holder"), CancellationToken.None, TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)));
Console.WriteLine(lease is null ? $"busy {held!.Owner.RunId}" : "held");
await Task.Delay(Timeout.Infinite);
