// End-to-end outlier analysis with the real CLI: plant outliers into the
// bundled model, check the function is unchanged, calibrate, and check that
// inspect reports exactly the planted channels and kinds.
#include "app/clirunner.h"

#include <QtTest>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Run = CliRun;
Run cli(const QStringList& args) { return runCli(args); }

QString dir() {
    const fs::path p = fs::path(OL_TEST_OUTPUT_DIR) / "outliers";
    return QString::fromStdString(p.string());
}

} // namespace

class TestCliOutliers : public QObject {
    Q_OBJECT
    QString m_planted, m_session;

private Q_SLOTS:
    void initTestCase() {
        fs::remove_all(dir().toStdString());
        fs::create_directories(dir().toStdString());
        m_planted = dir() + "/planted";
        m_session = dir() + "/planted.h5";
        // The planted variant of shared/data/README.md plus an o_proj-input channel.
        const Run r = cli({"plant-outliers", "--out", m_planted, "--quiet", "--massive", "0:7:150", "--massive", "2:100:400",
                           "--normal", "1:attn_in:5:20", "--normal", "3:mlp_in:30:25", "--normal", "4:o_in:9:30"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    void plantedModelComputesTheSameFunction() {
        const Run a = cli({"eval", "--model", m_planted, "--seqlen", "256", "--json", "--quiet"});
        QVERIFY2(a.exitCode == 0, qPrintable(a.err));
        const double ppl = json::parse(a.out.toStdString())["ppl"];
        QVERIFY2(std::abs(ppl / 3.123063 - 1.0) < 1e-4, qPrintable(QString::number(ppl, 'f', 7)));
    }

    void inspectFindsExactlyThePlantedOutliers() {
        const Run c =
            cli({"calibrate", "--model", m_planted, "--nsamples", "32", "--seqlen", "256", "--out", m_session, "--quiet"});
        QVERIFY2(c.exitCode == 0, qPrintable(c.err));
        const Run r = cli({"inspect", m_session, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const json j = json::parse(r.out.toStdString());
        QCOMPARE(j["linears"].size(), std::size_t(20));
        // Expected: name -> (massive channels, normal channels).
        using Channels = std::vector<std::int64_t>;
        const std::map<std::string, std::pair<Channels, Channels>> expected = {
            {"model.layers.0.mlp.down_proj", {{7}, {}}},
            {"model.layers.2.mlp.down_proj", {{100}, {}}},
            {"model.layers.1.self_attn.q_proj", {{}, {5}}},
            {"model.layers.3.mlp.gate_proj", {{}, {30}}},
            // kv channel 9 = kv head 1, dim 1, read by query heads 2 and 3 (head_dim 8).
            {"model.layers.4.self_attn.o_proj", {{}, {17, 25}}},
        };
        for (const auto& l : j["linears"]) {
            const std::string name = l["name"];
            const Channels massive = l["massive_channels"], normal = l["normal_outlier_channels"];
            auto it = expected.find(name);
            const Channels wantMassive = it == expected.end() ? Channels{} : it->second.first;
            const Channels wantNormal = it == expected.end() ? Channels{} : it->second.second;
            QVERIFY2(massive == wantMassive, name.c_str());
            QVERIFY2(normal == wantNormal, name.c_str());
            for (const auto& m : l["massive"]) {
                QVERIFY(std::abs(m["value"].get<double>()) > 100);
                QVERIFY(m.contains("token") && m.contains("channel"));
            }
            QVERIFY(l["channels"].get<int>() == (name.find("down_proj") != std::string::npos ? 172 : 64));
            QVERIFY(l["median_channel_absmax"].get<double>() > 0);
        }
        // Q/K/V are reported too.
        QCOMPARE(j["attention"].size(), std::size_t(15));
    }

    void inspectFilterAndTable() {
        const Run r = cli({"inspect", m_session, "--layer", "layers.2.mlp.down_proj"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("model.layers.2.mlp.down_proj"));
        QVERIFY(!r.out.contains("model.layers.1.self_attn.q_proj"));
        const Run none = cli({"inspect", m_session, "--layer", "no.such.layer"});
        QCOMPARE(none.exitCode, 2);
    }

    void sessionReadableByH5dump() {
        const QString h5dump = QStandardPaths::findExecutable("h5dump");
        if (h5dump.isEmpty()) QSKIP("h5dump not installed");
        auto dump = [&](const QStringList& args) {
            QProcess p;
            p.start(h5dump, args);
            p.waitForFinished(60000);
            return p.exitCode() == 0 ? QString::fromUtf8(p.readAllStandardOutput()) : QString();
        };
        const QString header = dump({"-A", m_session});
        QVERIFY2(header.contains("outlierlab-session"), qPrintable(header.left(2000)));
        QVERIFY(header.contains("model.layers.2.mlp.down_proj"));
        const QString data = dump({"-d", "/layers/2/down_in/absmax", m_session});
        QVERIFY2(data.contains("( 172 )") || data.contains("(172)"), qPrintable(data.left(2000)));
        QVERIFY(data.contains("DATA"));
    }

    void badInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("not a session") << QStringList{"inspect", QString(OL_RESOURCES_DIR) + "/corpus/stories-eval.txt"} << 1
                                       << "stories-eval.txt";
        QTest::newRow("missing session") << QStringList{"inspect", "/nonexistent/s.h5"} << 1 << "/nonexistent/s.h5";
        QTest::newRow("bad massive spec") << QStringList{"plant-outliers", "--out", "/tmp/x", "--massive", "0:7"} << 2
                                          << "LAYER:CHANNEL:FACTOR";
        QTest::newRow("channel out of range")
            << QStringList{"plant-outliers", "--out", "/tmp/x", "--massive", "0:999:10"} << 2 << "channel out of range";
        QTest::newRow("bad site") << QStringList{"plant-outliers", "--out", "/tmp/x", "--normal", "0:down:3:10"} << 2 << "down";
        QTest::newRow("too many windows") << QStringList{"calibrate",     "--out",      "/tmp/never.h5",
                                                         "--consecutive", "--nsamples", "1000"}
                                          << 2 << "69498 tokens";
    }
    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const Run r = cli(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!fs::exists("/tmp/never.h5"));
    }
};

QTEST_GUILESS_MAIN(TestCliOutliers)
#include "tst_cli_outliers.moc"
