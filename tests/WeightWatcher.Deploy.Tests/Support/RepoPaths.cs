namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>Locations in the repository: found by walking up from the test output to the solution file.</summary>
public static class RepoPaths
{
    /// <summary>The repository root (the folder of WeightWatcher.Cluster.sln).</summary>
    public static string Root => Repository.Root;

    /// <summary>helm/weightwatcher-cluster.</summary>
    public static string Chart => Path.Combine(Root, "helm", "weightwatcher-cluster");

    /// <summary>helm/weightwatcher-cluster/templates.</summary>
    public static string Templates => Path.Combine(Chart, "templates");

    /// <summary>deploy/.</summary>
    public static string Deploy => Path.Combine(Root, "deploy");

    /// <summary>deploy/k8s: the chart rendered with its default values.</summary>
    public static string Manifests => Path.Combine(Deploy, "k8s");

    /// <summary>deploy/scripts.</summary>
    public static string Scripts => Path.Combine(Deploy, "scripts");
}
