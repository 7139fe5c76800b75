using System.CommandLine;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary><c>ww zoo</c>: zoo jobs on the cluster.</summary>
internal static class ZooCommand
{
    public static Command Create() => new("zoo", "Analyze whole model zoos on an Akka.NET cluster") { ZooRunCommand.Create() };
}
