using WeightWatcher.Storage.Tests.Support;

// One emulator for the whole assembly: starting Azurite takes about a second, and every blob test uses its own container.
[assembly: AssemblyFixture(typeof(AzuriteFixture))]
