using BenchmarkDotNet.Running;

namespace WeightWatcher.Benchmarks;

/// <summary>Entry point: BenchmarkDotNet's switcher (choose benchmarks with --filter).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
