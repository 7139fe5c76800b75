namespace WeightWatcher.Cli;

/// <summary>The process's peak resident set size, from <c>/proc/self/status</c> (VmHWM) on Linux.</summary>
internal static class PeakRss
{
    public static long Bytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return Environment.WorkingSet;
    }
}
