// outlierlab-cli quantize / export / batch end to end on the bundled model:
// the real binary, the real plugins, real files.
#include "clirunner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {

QJsonObject parseJson(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }

double pplOfEval(const QString& model) {
    const auto r = runCli({"eval", "--model", model, "--seqlen", "256", "--nsamples", "20", "--json", "--quiet"});
    if (r.exitCode != 0) qWarning() << r.err;
    return parseJson(r.out).value("ppl").toDouble();
}

} // namespace

class TestQuantizeCli : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    // Reference numbers of DuQuant's own code on this model (shared/data/README.md), all in one batch (one
    // calibration, one FP evaluation). Tolerances are set from bench/kernel_spread.sh, which runs this recipe
    // under OpenBLAS's default (SkylakeX), Haswell, SandyBridge and Nehalem kernels (2026-12-06, fused attention):
    //   RTN W4A4 8.7487–8.7559 (reference 8.747, within 0.11%), SmoothQuant W4A4 8.9604–8.9823 (8.962, 0.23%),
    //   RTN W6A6 3.2241–3.2260 (3.2249, 0.04%), DuQuant W6A6 3.2021–3.2095 (3.1964, 0.41%): tolerances 0.5%, 0.5%,
    //   0.5%, 1% (W6A6 as the README's "about 1%"); on 2026-12-02, before the fused attention, each range
    //   was inside the same tolerances;
    //   DuQuant W4A4 --reference_compat (the reference's own random stream) for rotation seeds 2, 0, 1: means
    //   9.430–9.488 (reference mean 9.514: at most 0.9% below) — tolerance 1.5%; single seeds move by up to 2.9%
    //   with the kernels (this 64-channel model's W4A4 is chaotic in the rotation's float32 rounding), so each
    //   seed only within 5% of its reference value.
    void referenceNumbers() {
        QFile recipe(path("reference.json"));
        QVERIFY(recipe.open(QIODevice::WriteOnly));
        recipe.write(R"({"session": ")" + path("stories.h5").toUtf8() + R"(", "runs": [
            {"name": "rtn-w4a4", "method": "rtn"},
            {"name": "sq-w4a4", "method": "smoothquant", "alpha": 0.6},
            {"name": "rtn-w6a6", "method": "rtn", "wbits": 6, "abits": 6},
            {"name": "duquant-w6a6", "method": "duquant", "wbits": 6, "abits": 6, "reference_compat": true},
            {"name": "duquant-w4a4-seed2", "method": "duquant", "lac": 0.9, "swc": 0.8, "reference_compat": true, "rotation_seed": 2},
            {"name": "duquant-w4a4-seed0", "method": "duquant", "lac": 0.9, "swc": 0.8, "reference_compat": true, "rotation_seed": 0},
            {"name": "duquant-w4a4-seed1", "method": "duquant", "lac": 0.9, "swc": 0.8, "reference_compat": true, "rotation_seed": 1}]})");
        recipe.close();
        // Seven quantizations and eight evaluations: minutes on 2 busy cores.
        const auto r = runCli({"batch", path("reference.json"), "--json", "--quiet"}, 1100000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto runs = parseJson(r.out)["runs"].toArray();
        QCOMPARE(runs.size(), 7);
        const QMap<QString, QPair<double, double>> expected = {
            {"rtn-w4a4", {8.747, 0.005}},         {"sq-w4a4", {8.962, 0.005}},           {"rtn-w6a6", {3.2249, 0.005}},
            {"duquant-w6a6", {3.1964, 0.01}},     {"duquant-w4a4-seed2", {9.493, 0.05}}, {"duquant-w4a4-seed0", {9.501, 0.05}},
            {"duquant-w4a4-seed1", {9.548, 0.05}}};
        double w4a4Sum = 0;
        for (const auto& v : runs) {
            const auto j = v.toObject();
            const auto name = j["name"].toString();
            QVERIFY(std::abs(j["fp_ppl"].toDouble() - 3.123063) < 1e-4);
            QCOMPARE(j["layers"].toArray().size(), 5);
            QVERIFY(j["layers"].toArray()[0].toObject()["activations"].toObject().contains("down_in"));
            const double q = j["quant_ppl"].toDouble();
            qInfo("%s: %.6f", qPrintable(name), q);
            QVERIFY2(expected.contains(name), qPrintable(name));
            const auto [ref, tol] = expected.value(name);
            QVERIFY2(std::abs(q / ref - 1) < tol,
                     qPrintable(QString("%1: quantized ppl %2, reference %3").arg(name).arg(q).arg(ref)));
            if (name.startsWith("duquant-w4a4")) w4a4Sum += q;
        }
        const double mean = w4a4Sum / 3, referenceMean = (9.493 + 9.501 + 9.548) / 3;
        QVERIFY2(std::abs(mean / referenceMean - 1) < 0.015,
                 qPrintable(QString("DuQuant W4A4 mean over seeds 2, 0, 1: %1, reference %2").arg(mean).arg(referenceMean)));
    }

    // --export writes a directory that evaluates to the run's perplexity; `export` rebuilds the same
    // directory from the run kept next to the session.
    void exportReloadsToTheSamePerplexity() {
        const auto r = runCli({"quantize", "--method", "duquant", "--max_rotation_step", "32", "--eval_ppl", "--limit", "20",
                               "--json", "--quiet", "--session", path("stories.h5"), "--export", path("export1")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const double q = parseJson(r.out)["quant_ppl"].toDouble();
        QVERIFY(QFile::exists(path("export1/config.json")));
        QVERIFY(QFile::exists(path("export1/tokenizer.bin")));
        QFile cfg(path("export1/config.json"));
        QVERIFY(cfg.open(QIODevice::ReadOnly));
        const auto qc = QJsonDocument::fromJson(cfg.readAll()).object()["quantization_config"].toObject();
        QCOMPARE(qc["method"].toString(), QString("duquant"));
        QCOMPARE(qc["bits"].toObject()["weights"].toInt(), 4);
        QCOMPARE(qc["transforms"].toObject()["inputs"].toObject()["down_in"].toObject()["block_size"].toInt(), 4);
        const double reloaded = pplOfEval(path("export1"));
        QVERIFY2(std::abs(reloaded / q - 1) < 1e-5, qPrintable(QString("%1 vs %2").arg(reloaded).arg(q)));

        const auto e = runCli({"export", path("stories.h5"), "--out", path("export2"), "--quiet"});
        // stories.h5 has several runs by now: the error lists them and asks for --run.
        QCOMPARE(e.exitCode, 2);
        QVERIFY2(e.err.contains("--run"), qPrintable(e.err));
        const auto dir = QString::fromStdString(parseJson(r.out)["save_dir"].toString().toStdString());
        const auto e2 = runCli({"export", dir, "--out", path("export2"), "--quiet"});
        QVERIFY2(e2.exitCode == 0, qPrintable(e2.err));
        QCOMPARE(pplOfEval(path("export2")), reloaded);
    }

    // Outliers planted by exact rescalings (shared/data/README.md): RTN W4A4 collapses (reference 65.84,
    // about 20x FP) while smoothing undoes the planted scales (SmoothQuant reference 10.62).
    void plantedOutliersBreakRtnNotSmoothing() {
        auto r = runCli({"plant-outliers", "--out", path("planted"), "--massive", "0:7:150", "--massive", "2:100:400", "--normal",
                         "1:attn_in:5:20", "--normal", "3:mlp_in:30:25", "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto quantize = [&](const QStringList& flags) {
            auto q = runCli(QStringList{"quantize", "--model", path("planted"), "--nsamples", "32", "--seqlen", "256",
                                        "--session", path("planted.h5"), "--eval_ppl", "--eval_text",
                                        OL_RESOURCES_DIR "/corpus/stories-eval.txt", "--json", "--quiet"} +
                            flags);
            if (q.exitCode != 0) qWarning() << q.err;
            return parseJson(q.out);
        };
        const auto rtn = quantize({"--method", "rtn"});
        const double fp = rtn["fp_ppl"].toDouble();
        QVERIFY(std::abs(fp - 3.123063) < 1e-4); // the planted model computes the same function
        // bench/kernel_spread.sh over four OpenBLAS kernels: RTN 65.826–65.881, SmoothQuant 10.611–10.619 (2026-12-06,
        // fused attention; ≤ 0.1% from the reference values): 1% tolerances.
        QVERIFY2(std::abs(rtn["quant_ppl"].toDouble() / 65.84 - 1) < 0.01,
                 qPrintable(QString::number(rtn["quant_ppl"].toDouble())));
        const auto sq = quantize({"--method", "smoothquant"});
        QVERIFY2(std::abs(sq["quant_ppl"].toDouble() / 10.62 - 1) < 0.01,
                 qPrintable(QString::number(sq["quant_ppl"].toDouble())));
    }

    void badInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("abits 0") << QStringList{"quantize", "--method", "rtn", "--abits", "0"} << "--abits 0";
        QTest::newRow("block too large") << QStringList{"quantize", "--block_size", "128"} << "larger than the 64";
        QTest::newRow("group does not divide")
            << QStringList{"quantize", "--method", "rtn", "--group_size", "100"} << "does not divide";
        QTest::newRow("flag of another method")
            << QStringList{"quantize", "--method", "rtn", "--block_size", "4"} << "not a parameter of method 'rtn'";
        QTest::newRow("unknown method") << QStringList{"quantize", "--method", "gptq"} << "unknown method 'gptq'";
        QTest::newRow("resume without save_dir") << QStringList{"quantize", "--resume"} << "--resume needs --save_dir";
        QTest::newRow("lac out of range") << QStringList{"quantize", "--lac", "1.5"} << "--lac 1.5 is above its maximum";
    }
    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = runCli(args + QStringList{"--quiet"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void unwritableExportLeavesNothing() {
        QFile blocker(path("not-a-dir"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto r = runCli(
            {"quantize", "--method", "rtn", "--quiet", "--session", path("stories.h5"), "--export", path("not-a-dir/sub")});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("not-a-dir"), qPrintable(r.err));
        QVERIFY(!QFileInfo(path("not-a-dir/sub")).exists());
    }

    void resumeFromAnotherSettingsIsRefused() {
        auto r = runCli({"quantize", "--method", "rtn", "--quiet", "--session", path("stories.h5"), "--save_dir", path("run-a")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runCli({"quantize", "--method", "rtn", "--quiet", "--session", path("stories.h5"), "--save_dir", path("run-a")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--resume"), qPrintable(r.err));
        r = runCli({"quantize", "--method", "rtn", "--wbits", "8", "--resume", "--quiet", "--session", path("stories.h5"),
                    "--save_dir", path("run-a")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("settings differs"), qPrintable(r.err));
        r = runCli({"quantize", "--method", "rtn", "--resume", "--json", "--quiet", "--session", path("stories.h5"), "--save_dir",
                    path("run-a")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(parseJson(r.out)["resumed_layers"].toInt(), 5);
    }

    void batchComparesRuns() {
        QFile recipe(path("recipe.json"));
        QVERIFY(recipe.open(QIODevice::WriteOnly));
        recipe.write(R"({
          "session": ")" +
                     path("stories.h5").toUtf8() + R"(",
          "limit": 30,
          "defaults": {"wbits": 8, "abits": 8},
          "runs": [
            {"name": "rtn-w8a8", "method": "rtn"},
            {"name": "duquant-w8a8", "method": "duquant", "max_rotation_step": 16},
            {"name": "rtn-w4a16", "method": "rtn", "wbits": 4, "abits": 16}
          ]})");
        recipe.close();
        const auto r = runCli({"batch", path("recipe.json"), "--csv", path("table.csv"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("| rtn-w8a8 | rtn | W8A8 |"), qPrintable(r.out));
        QVERIFY(r.out.contains("| rtn-w4a16 | rtn | W4A16 |"));
        QFile csv(path("table.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(csv.readAll()).trimmed().split('\n');
        QCOMPARE(lines.size(), 4);
        QCOMPARE(lines[0], QString("name,method,bits,fp_ppl,quant_ppl,ratio,quantize_seconds"));
        // W8A8 is nearly lossless on this model.
        const double ratio = lines[1].split(',')[5].toDouble();
        QVERIFY2(ratio > 1.0 && ratio < 1.02, qPrintable(lines[1]));

        QFile bad(path("bad.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write(R"({"runs": [{"method": "duquant", "block_size": 0}]})");
        bad.close();
        const auto b = runCli({"batch", path("bad.json"), "--quiet"});
        QCOMPARE(b.exitCode, 2);
        QVERIFY2(b.err.contains("--block_size 0 is below its minimum"), qPrintable(b.err));
    }
};

QTEST_GUILESS_MAIN(TestQuantizeCli)
#include "tst_quantizecli.moc"
