// Bad model inputs and flags with the real binary: a config.json that would
// compute another model, shard indexes that point outside the model, FIFOs and
// directories named as files, a tokenizer with trailing bytes, integer flags
// out of range, --dtype float16, and SmoothQuant's --smooth. Each must fail
// with a message naming the file, key or flag (never a backtrace) and the
// exit code of its kind: 1 for a bad file, 2 for a bad flag.
#include "clirunner.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <sys/stat.h>

namespace {

QJsonObject parseJson(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }

// A message for a person: no LibTorch backtrace, no raw nlohmann exception text.
bool readable(const CliRun& r) {
    return !r.err.contains("frame #") && !r.err.contains("json.exception") && !r.err.contains("Exception raised");
}

void copyDir(const QString& from, const QString& to) {
    QDir().mkpath(to);
    for (const auto& f : QDir(from).entryInfoList(QDir::Files)) QFile::copy(f.filePath(), to + "/" + f.fileName());
}

} // namespace

class TestBadInputModel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // A copy of the converted model with config.json[key] = value (value "DELETE" removes the key).
    QString modelWith(const QString& name, const QString& key, const QJsonValue& value) {
        const auto dir = path(name);
        copyDir(path("hf"), dir);
        QFile f(dir + "/config.json");
        if (!f.open(QIODevice::ReadOnly)) return {};
        auto j = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        j[key] = value;
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return {};
        f.write(QJsonDocument(j).toJson());
        return dir;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(!qgetenv("OUTLIERLAB_CLI").isEmpty(), "OUTLIERLAB_CLI not set (run through ctest)");
        QVERIFY(m_dir.isValid());
        const auto r = runCli({"convert", "--out", path("hf")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    // config.json values that OutlierLab would otherwise ignore or trip over later.
    void configRefused_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("gelu") << "hidden_act" << QJsonValue("gelu") << "'hidden_act' is 'gelu'";
        QTest::newRow("rope_scaling yes") << "rope_scaling" << QJsonValue("yes") << "'rope_scaling' is a string";
        QTest::newRow("float7") << "torch_dtype" << QJsonValue("float7") << "'torch_dtype' is 'float7'";
        QTest::newRow("rope_theta 0") << "rope_theta" << QJsonValue(0.0) << "rope_theta";
        QTest::newRow("rope_theta negative") << "rope_theta" << QJsonValue(-10000.0) << "rope_theta";
        QTest::newRow("rms_norm_eps negative") << "rms_norm_eps" << QJsonValue(-1e-5) << "rms_norm_eps";
        QTest::newRow("fewer layers than tensors") << "num_hidden_layers" << QJsonValue(4) << "num_hidden_layers is 4";
        QTest::newRow("hidden_size a string") << "hidden_size" << QJsonValue("64") << "'hidden_size' is a string";
        QTest::newRow("tie a string") << "tie_word_embeddings" << QJsonValue("yes") << "'tie_word_embeddings' is a string";
    }
    void configRefused() {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, expected);
        const auto dir = modelWith(QString("cfg-%1").arg(QTest::currentDataTag()).replace(' ', '-'), key, value);
        QVERIFY(!dir.isEmpty());
        const auto r = runCli({"eval", "--model", dir, "--nsamples", "1", "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(expected) && r.err.contains("config.json"), qPrintable(r.err));
        QVERIFY2(readable(r), qPrintable(r.err));
    }

    // An index may only name shards inside the model directory; nothing outside is opened.
    void shardIndexOutsideTheModel_data() {
        QTest::addColumn<QString>("shard");
        QTest::newRow("parent") << "../hf/model.safetensors";
        QTest::newRow("etc passwd") << "/etc/passwd";
        QTest::newRow("dev zero") << "/dev/zero";
    }
    void shardIndexOutsideTheModel() {
        QFETCH(QString, shard);
        const auto dir = path(QString("index-%1").arg(QTest::currentDataTag()).replace(' ', '-'));
        copyDir(path("hf"), dir);
        QFile::remove(dir + "/model.safetensors");
        QFile index(dir + "/model.safetensors.index.json");
        QVERIFY(index.open(QIODevice::WriteOnly));
        index.write(R"({"metadata": {}, "weight_map": {"model.embed_tokens.weight": ")" + shard.toUtf8() + R"("}})");
        index.close();
        const auto r = runCli({"eval", "--model", dir, "--nsamples", "1", "--quiet"}, 60000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("model.safetensors.index.json") && r.err.contains("model.embed_tokens.weight") &&
                     r.err.contains(shard),
                 qPrintable(r.err));
    }

    // open() of a FIFO blocks until a writer comes: the file kind is checked first.
    void fifoNamedAsShard() {
        const auto dir = path("fifo-shard");
        copyDir(path("hf"), dir);
        QFile::remove(dir + "/model.safetensors");
        QCOMPARE(::mkfifo(QFile::encodeName(dir + "/model.safetensors").constData(), 0600), 0);
        const auto r = runCli({"eval", "--model", dir, "--nsamples", "1", "--quiet"}, 60000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("model.safetensors: is a FIFO, not a regular file"), qPrintable(r.err));
    }

    void directoryGivenAsText() {
        QDir().mkpath(path("a-directory"));
        const auto r = runCli({"eval", "--text", path("a-directory"), "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("a-directory: is a directory, not a text file"), qPrintable(r.err));
        const auto c = runCli({"calibrate", "--calib_dataset", path("a-directory"), "--out", path("never.h5"), "--quiet"});
        QCOMPARE(c.exitCode, 1);
        QVERIFY2(c.err.contains("is a directory, not a calibration text"), qPrintable(c.err));
        QVERIFY(!QFile::exists(path("never.h5")));
    }

    void tokenizerWithTrailingBytes() {
        QFile::copy(path("hf/tokenizer.bin"), path("trailing.bin"));
        QFile f(path("trailing.bin"));
        QVERIFY(f.open(QIODevice::Append));
        f.write("junk!");
        f.close();
        const auto r = runCli({"eval", "--model", path("hf"), "--tokenizer", path("trailing.bin"), "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("trailing.bin: 5 trailing bytes after 512 tokens"), qPrintable(r.err));
    }

    void float16IsRefused() {
        const auto r = runCli({"eval", "--dtype", "float16", "--nsamples", "1", "--quiet"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--dtype 'float16' is not supported (float32 or bfloat16)"), qPrintable(r.err));
        QVERIFY2(readable(r), qPrintable(r.err));
    }

    // Integers that do not fit their target (or are absurd for it) are refused before any work.
    void integerFlagsOutOfRange_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("nsamples 2^32+2") << QStringList{"calibrate", "--nsamples", "4294967298", "--out", path("x.h5")}
                                         << "--nsamples 4294967298 is out of range (1 to 100000)";
        QTest::newRow("nsamples 1e12") << QStringList{"quantize", "--method", "rtn", "--nsamples", "1000000000000"}
                                       << "--nsamples 1000000000000 is out of range";
        QTest::newRow("seed -1") << QStringList{"calibrate", "--seed", "-1", "--out", path("x.h5")}
                                 << "--seed -1 is out of range";
        QTest::newRow("seed 1e20") << QStringList{"quantize", "--method", "rtn", "--seed", "100000000000000000000"}
                                   << "--seed 100000000000000000000 is out of range";
        QTest::newRow("seed float") << QStringList{"quantize", "--method", "rtn", "--seed", "1e20"}
                                    << "--seed: '1e20' is not an integer";
        QTest::newRow("limit -7") << QStringList{"quantize", "--method", "rtn", "--limit", "-7"} << "--limit -7 is out of range";
        QTest::newRow("limit 0") << QStringList{"quantize", "--method", "rtn", "--limit", "0"} << "--limit 0: give -1";
        QTest::newRow("eval nsamples 0") << QStringList{"eval", "--nsamples", "0"} << "--nsamples 0: give -1";
        QTest::newRow("method int") << QStringList{"quantize", "--method", "duquant", "--block_size", "4294967298"}
                                    << "--block_size 4294967298 is out of range";
        QTest::newRow("double inf") << QStringList{"quantize", "--method", "smoothquant", "--alpha", "1e400"}
                                    << "--alpha 1e400 is not a finite number";
    }
    void integerFlagsOutOfRange() {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const auto r = runCli(args << "--quiet", 60000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QVERIFY(!QFile::exists(path("x.h5")));
    }

    // The references write SmoothQuant runs as --smooth --alpha: --smooth confirms what SmoothQuant always
    // does (the same run as without it); --smooth false or --no_smooth would be RTN and is refused.
    void smoothQuantTakesSmooth() {
        const QStringList base{"quantize", "--method", "smoothquant", "--alpha", "0.5",    "--nsamples",
                               "2",        "--seqlen", "64",          "--json",  "--quiet"};
        const auto with = runCli(QStringList(base) << "--smooth");
        QVERIFY2(with.exitCode == 0, qPrintable(with.err));
        const auto without = runCli(base);
        QVERIFY2(without.exitCode == 0, qPrintable(without.err));
        const auto a = parseJson(with.out), b = parseJson(without.out);
        QCOMPARE(a["parameters"].toObject(), b["parameters"].toObject());
        QVERIFY(!a["parameters"].toObject().contains("smooth"));
        const auto la = a["layers"].toArray(), lb = b["layers"].toArray();
        QCOMPARE(la.size(), 5);
        QCOMPARE(la.size(), lb.size());
        for (qsizetype i = 0; i < la.size(); ++i) // the same errors; only the timings differ
            QCOMPARE(la[i].toObject()["activations"], lb[i].toObject()["activations"]);
        for (const auto& off : {QStringList{"--smooth=false"}, QStringList{"--no_smooth"}}) {
            const auto r = runCli(QStringList(base) << off);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains("--smooth false contradicts method 'smoothquant'") && r.err.contains("--method rtn"),
                     qPrintable(r.err));
        }
    }
};

QTEST_GUILESS_MAIN(TestBadInputModel)
#include "tst_badinput_model.moc"
