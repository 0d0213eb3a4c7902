// End-to-end: the real outlierlab-cli binary on the bundled model.
#include "app/clirunner.h"

#include <QRegularExpression>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

using Run = CliRun;
Run cli(const QStringList& args) { return runCli(args); }

QString out(const QString& name) {
    const fs::path p = fs::path(OL_TEST_OUTPUT_DIR) / "cli" / name.toStdString();
    fs::remove_all(p);
    fs::create_directories(p.parent_path());
    return QString::fromStdString(p.string());
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(!qgetenv("OUTLIERLAB_CLI").isEmpty(), "OUTLIERLAB_CLI not set (run through ctest)"); }

    void versionSaysWhatItRunsOn() {
        const Run r = cli({"--version"});
        QCOMPARE(r.exitCode, 0);
        const auto lines = r.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines[0].startsWith(QLatin1String("outlierlab-cli ")), qPrintable(r.out));
        // "LibTorch 1.13.0 (CPU only), BLAS openblas, no CUDA device" here; "with CUDA" and a count on a GPU build.
        QVERIFY2(QRegularExpression(
                     QStringLiteral(
                         R"(^LibTorch \d+\.\d+\.\d+ (\(CPU only\)|with CUDA), BLAS \w+, (no CUDA device|\d+ CUDA devices?)$)"))
                     .match(lines[1])
                     .hasMatch(),
                 qPrintable(lines[1]));
    }

    void evalBundledJson() {
        const Run r = cli({"eval", "--seqlen", "256", "--json", "--device", "cpu"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto j = nlohmann::json::parse(r.out.toStdString());
        QVERIFY(std::abs(j["ppl"].get<double>() / 3.123063 - 1.0) < 1e-5);
        QCOMPARE(j["windows"].get<int>(), 138);
        QCOMPARE(j["tokens"].get<int>(), 35355);
        QCOMPARE(j["seqlen"].get<int>(), 256);
        QVERIFY(j["seconds"].get<double>() > 0);
        QVERIFY(j["protocol"].get<std::string>().find("non-overlapping") != std::string::npos);
        QVERIFY2(r.err.contains("[100%]"), qPrintable(r.err)); // progress went to stderr, not stdout
    }

    void convertThenEvalSamePerplexity() {
        const QString dir = out("converted");
        const Run c = cli({"convert", "--out", dir, "--quiet"});
        QVERIFY2(c.exitCode == 0, qPrintable(c.err));
        const Run a = cli({"eval", "--model", dir, "--seqlen", "128", "--nsamples", "20", "--json", "--quiet"});
        const Run b = cli({"eval", "--seqlen", "128", "--nsamples", "20", "--json", "--quiet"});
        QVERIFY2(a.exitCode == 0 && b.exitCode == 0, qPrintable(a.err + b.err));
        const double pa = nlohmann::json::parse(a.out.toStdString())["ppl"],
                     pb = nlohmann::json::parse(b.out.toStdString())["ppl"];
        QVERIFY2(std::abs(pa / pb - 1.0) < 1e-5, qPrintable(QString("%1 vs %2").arg(pa).arg(pb)));
        // A second convert into the now non-empty directory is refused.
        const Run again = cli({"convert", "--out", dir, "--quiet"});
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains(dir), qPrintable(again.err));
    }

    void badInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing model") << QStringList{"eval", "--model", "/nonexistent/model.bin"} << 1
                                       << "/nonexistent/model.bin";
        QTest::newRow("missing text") << QStringList{"eval", "--text", "/nonexistent/text.txt"} << 1 << "/nonexistent/text.txt";
        QTest::newRow("unknown flag") << QStringList{"eval", "--bogus"} << 2 << "--bogus";
        QTest::newRow("bad seqlen") << QStringList{"eval", "--seqlen", "abc"} << 2 << "--seqlen";
        QTest::newRow("seqlen too long") << QStringList{"eval", "--seqlen", "4096"} << 2 << "max_position_embeddings";
        QTest::newRow("no gpu") << QStringList{"eval", "--device", "cuda:7"} << 2 << "--device";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << "frobnicate";
        QTest::newRow("convert without out") << QStringList{"convert"} << 2 << "--out";
    }
    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const Run r = cli(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void textShorterThanOneWindow() {
        const QString dir = out("short");
        fs::create_directories(dir.toStdString());
        const QString text = dir + "/short.txt";
        std::ofstream(text.toStdString()) << "Once upon a time there was a cat.";
        const Run r = cli({"eval", "--text", text, "--seqlen", "256"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("fewer than one window"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
