namespace WeightWatcher.Core.Fitting;

/// <summary>
/// scipy's <c>optimize.fmin</c> (Nelder-Mead) with its defaults, specialised to one dimension so that
/// it takes exactly the same steps: initial simplex {x0, 1.05 x0} (0.00025 when x0 = 0), reflection 1,
/// expansion 2, contraction 0.5, shrink 0.5, stop when |dx| &lt;= 1e-4 and |df| &lt;= 1e-4, or after 200
/// iterations or function evaluations.
/// </summary>
public static class NelderMead1D
{
    private const double XTolerance = 1e-4;
    private const double FTolerance = 1e-4;
    private const int MaxIterations = 200;
    private const int MaxEvaluations = 200;

    /// <summary>Minimizes <paramref name="f"/> from <paramref name="x0"/>; returns the best vertex.</summary>
    public static double Minimize(Func<double, double> f, double x0)
    {
        int calls = 0;
        double Eval(double v)
        {
            calls++;
            return f(v);
        }
        double[] sim = [x0, x0 != 0 ? (1 + 0.05) * x0 : 0.00025];
        double[] fs = [Eval(sim[0]), Eval(sim[1])];
        Sort(sim, fs);
        int iterations = 1;
        while (calls < MaxEvaluations && iterations < MaxIterations)
        {
            if (Math.Abs(sim[1] - sim[0]) <= XTolerance && Math.Abs(fs[0] - fs[1]) <= FTolerance)
            {
                break;
            }
            double xbar = sim[0];
            double xr = (2 * xbar) - sim[1];
            double fxr = Eval(xr);
            if (fxr < fs[0])
            {
                double xe = (3 * xbar) - (2 * sim[1]);
                double fxe = Eval(xe);
                if (fxe < fxr)
                {
                    sim[1] = xe;
                    fs[1] = fxe;
                }
                else
                {
                    sim[1] = xr;
                    fs[1] = fxr;
                }
            }
            else
            {
                // In one dimension fs[-2] is fs[0], so a reflection that did not improve always contracts.
                bool shrink = false;
                if (fxr < fs[1])
                {
                    double xc = (1.5 * xbar) - (0.5 * sim[1]);
                    double fxc = Eval(xc);
                    if (fxc <= fxr)
                    {
                        sim[1] = xc;
                        fs[1] = fxc;
                    }
                    else
                    {
                        shrink = true;
                    }
                }
                else
                {
                    double xcc = (0.5 * xbar) + (0.5 * sim[1]);
                    double fxcc = Eval(xcc);
                    if (fxcc < fs[1])
                    {
                        sim[1] = xcc;
                        fs[1] = fxcc;
                    }
                    else
                    {
                        shrink = true;
                    }
                }
                if (shrink)
                {
                    sim[1] = sim[0] + (0.5 * (sim[1] - sim[0]));
                    fs[1] = Eval(sim[1]);
                }
            }
            iterations++;
            Sort(sim, fs);
        }
        return sim[0];
    }

    /// <summary>Stable sort of the two vertices by value (numpy argsort on two elements).</summary>
    private static void Sort(double[] sim, double[] fs)
    {
        if (fs[1] < fs[0])
        {
            (sim[0], sim[1]) = (sim[1], sim[0]);
            (fs[0], fs[1]) = (fs[1], fs[0]);
        }
    }
}
