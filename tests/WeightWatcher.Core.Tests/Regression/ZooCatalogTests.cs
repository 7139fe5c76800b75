using WeightWatcher.Core.Regression;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Regression;

public sealed class ZooCatalogTests
{
    [Fact]
    public void Reads_recognised_and_extra_columns()
    {
        var catalog = ZooCatalog.Parse(
            "\uFEFFsource,model,top1_acc,series,dataset\r\n" +
            "a,m1,91.5,s1,cifar\r\n" +
            "\r\n" +
            "b, m2 ,,s1,cifar\r\n" +
            "c,m3,70,,imagenet",
            "cat.csv");
        Assert.Equal(["source", "dataset"], catalog.ExtraColumns);
        Assert.Equal(["m1", "m2", "m3"], catalog.Entries.Select(e => e.Model));
        var m1 = catalog.Find("m1")!;
        Assert.Equal(("s1", 91.5, (string?)null), (m1.Series, m1.Accuracy, m1.File));
        Assert.Equal("a", m1.Extra["source"]);
        Assert.Equal("cifar", m1.Extra["dataset"]);
        Assert.Null(catalog.Find("m2")!.Accuracy);
        Assert.Null(catalog.Find("m3")!.Series);
        Assert.Null(catalog.Find("M1"));
        Assert.Null(catalog.Find("m4"));
    }

    [Fact]
    public void Accuracy_comes_from_the_error_column_only_when_top1_acc_is_absent()
    {
        var fromError = ZooCatalog.Parse("model,top1_err\nvgg11,30.98\n", "err.csv");
        Assert.Equal(100 - 30.98, fromError.Find("vgg11")!.Accuracy);
        Assert.Empty(fromError.ExtraColumns);

        var both = ZooCatalog.Parse("model,top1_err,top1_acc\nvgg11,30.98,69.5\n", "both.csv");
        Assert.Equal(69.5, both.Find("vgg11")!.Accuracy);
        Assert.Equal(["top1_err"], both.ExtraColumns);
        Assert.Equal("30.98", both.Find("vgg11")!.Extra["top1_err"]);
    }

    [Fact]
    public void Quoted_fields_hold_commas_quotes_and_line_breaks()
    {
        var catalog = ZooCatalog.Parse(
            "model,file,note\n" +
            "\"a,b\",\"dir/a b.pt\",\"says \"\"hi\"\"\nover two lines\"\n" +
            "c,c.pt,\"\"\n" +
            "d,d.pt,plain\n",
            "q.csv");
        Assert.Equal(["a,b", "c", "d"], catalog.Entries.Select(e => e.Model));
        Assert.Equal("dir/a b.pt", catalog.Find("a,b")!.File);
        Assert.Equal("says \"hi\"\nover two lines", catalog.Find("a,b")!.Extra["note"]);
        Assert.Equal("", catalog.Find("c")!.Extra["note"]);
        // The error on the record after the two-line field cites its real line.
        var ex = Assert.Throws<CatalogException>(() => ZooCatalog.Parse("model,note\n\"a\",\"x\ny\"\nb\n", "q.csv"));
        Assert.Equal(4, ex.Line);
    }

    public static TheoryData<string, int, string> BadCatalogs() => new()
    {
        { "name,series\nm1,s\n", 1, "no 'model' column" },
        { "", 1, "no header row" },
        { "model,model\nm1,m2\n", 1, "appears twice" },
        { "model,series\nm1,s\nm2,s\nm1,t\n", 4, "already listed on line 2" },
        { "model,top1_acc\nm1,90\nm2,ninety\n", 3, "'ninety' is not a number" },
        { "model,top1_acc\nm1,NaN\n", 2, "not a number" },
        { "model,series\nm1,s\nm2\n", 3, "1 fields where the header has 2" },
        { "model,series\nm1,s,extra\n", 2, "3 fields where the header has 2" },
        { "model,series\n,s\n", 2, "empty model name" },
        { "model,note\nm1,\"open\nm2,x\n", 2, "never closed" },
        { "model,note\nm1,ab\"c\n", 2, "quote inside an unquoted field" },
        { "model,note\nm1,\"ab\"c\n", 2, "text after a closing quote" },
        { "model,file\nm1,../../etc/passwd\n", 2, "not a path inside the store" },
        { "model,file\nm1,/etc/passwd\n", 2, "not a path inside the store" },
        { "model,file\nm1,models/./a.pt\n", 2, "not a path inside the store" },
        { "model,file\nm1,C:\\x.pt\n", 2, "not a path inside the store" },
        { "model,file\nm1,a.pt\nm2,a.pt/\n", 3, "file 'a.pt/' already listed on line 2" },
    };

    [Fact]
    public void With_row_errors_collected_each_bad_row_is_left_out_and_named_and_the_rest_is_read()
    {
        var errors = new List<CatalogException>();
        var catalog = ZooCatalog.Parse(
            "model,top1_acc,series,file\n" +
            "m1,91.5,s,m1.pt\n" +
            "m2,ninety,s,m2.pt\n" +      // not a number
            "m1,92,s,m1b.pt\n" +         // repeated model
            "m3,93,s,../escape.pt\n" +   // outside the store
            "m4,94,s,m1.pt\n" +          // another row's file
            "m5,95,s\n" +                // field count
            "m6,96,s,m6.pt\n",
            "zoo/catalog.csv", errors);
        Assert.Equal(["m1", "m6"], catalog.Entries.Select(e => e.Model));
        Assert.Equal([3, 4, 5, 6, 7], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.StartsWith($"zoo/catalog.csv, line {e.Line}: ", e.Message, StringComparison.Ordinal));
        Assert.Equal(91.5, catalog.Find("m1")!.Accuracy);
        Assert.Throws<CatalogException>(() => ZooCatalog.Parse("model,top1_acc\nm1,x\n", "strict.csv"));
    }

    [Theory]
    [MemberData(nameof(BadCatalogs))]
    public void Errors_name_source_line_and_reason(string csv, int line, string reason)
    {
        var ex = Assert.Throws<CatalogException>(() => ZooCatalog.Parse(csv, "zoo/bad.csv"));
        Assert.Equal("zoo/bad.csv", ex.SourceName);
        Assert.Equal(line, ex.Line);
        Assert.Contains(reason, ex.Reason);
        Assert.StartsWith($"zoo/bad.csv, line {line}: ", ex.Message);
    }

    [Fact]
    public void Reads_the_shared_cifar10_resnet_catalog()
    {
        string path = SharedFolder.Require(Path.Combine("zoo", "cifar10-resnet", "zoo.csv"));
        var catalog = ZooCatalog.Parse(File.ReadAllText(path), path);
        Assert.Equal(["resnet20", "resnet32", "resnet44", "resnet56"], catalog.Entries.Select(e => e.Model));
        Assert.Equal(["dataset", "source"], catalog.ExtraColumns);
        Assert.All(catalog.Entries, e => Assert.Equal("cifar10-resnet", e.Series));
        var r20 = catalog.Find("resnet20")!;
        Assert.Equal(91.73, r20.Accuracy);
        Assert.Equal("resnet20-12fca82f.th", r20.File);
        Assert.Equal("CIFAR-10 test", r20.Extra["dataset"]);
        Assert.Equal(93.39, catalog.Find("resnet56")!.Accuracy);
        // Every file the catalog names is in the zoo folder.
        Assert.All(catalog.Entries, e => Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, e.File!)), e.File));
    }
}
