// Bad sessions, runs and recipes with the real binary, and what failures leave
// behind: a full disk during an HDF5 write or the export, a read-only export or
// run directory (small tmpfs mounts), corrupt session
// data, run.json values this build cannot honour, a tokenizer outside the run,
// recipes with wrong keys, types, ranges or clashing outputs (refused before any
// work), --resume of nothing, stale temporaries, and the run stub of a failed
// quantize. Messages name the file, dataset, key or flag; nothing half-written.
#include "clirunner.h"

#include "core/calib/session.h"
#include "core/io/h5file.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <limits>

namespace {

bool readable(const CliRun& r) {
    return !r.err.contains("frame #") && !r.err.contains("json.exception") && !r.err.contains("Exception raised");
}

CliRun runCliWithEnv(const QStringList& args, const QString& name, const QString& value) {
    return runCli(args, 300000, {{name, value}});
}

void copyTree(const QString& from, const QString& to) {
    QDir().mkpath(to);
    QDirIterator it(from, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const auto file = it.next();
        const auto target = to + "/" + QDir(from).relativeFilePath(file);
        QDir().mkpath(QFileInfo(target).path());
        QFile::copy(file, target);
    }
}

QStringList filesUnder(const QString& dir, const QString& pattern = "*") {
    QStringList out;
    QDirIterator it(dir, {pattern}, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) out << QDir(dir).relativeFilePath(it.next());
    out.sort();
    return out;
}

bool editJson(const QString& file, const QString& key, const QJsonValue& value) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return false;
    auto j = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    j[key] = value;
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    return f.write(QJsonDocument(j).toJson()) > 0;
}

// A small tmpfs, unmounted when the test ends. Empty when mounting is impossible (not root, no tmpfs).
class SmallDisk {
public:
    SmallDisk(const QString& dir, const QString& size, const QString& extraOptions = {}) : m_dir(dir) {
        QDir().mkpath(dir);
        const QString options = "size=" + size + (extraOptions.isEmpty() ? "" : "," + extraOptions);
        m_mounted = QProcess::execute("mount", {"-t", "tmpfs", "-o", options, "tmpfs", dir}) == 0;
    }
    ~SmallDisk() {
        if (m_mounted) QProcess::execute("umount", {m_dir});
    }
    bool mounted() const { return m_mounted; }

private:
    QString m_dir;
    bool m_mounted = false;
};

const QStringList kRtn{"quantize", "--method", "rtn", "--nsamples", "2", "--seqlen", "64", "--quiet"};

} // namespace

class TestBadInputRuns : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // A session like s.h5 with `edit` applied to its statistics before writing.
    QString sessionWith(const QString& name, const std::function<void(std::vector<ol::SiteStatistics>&)>& edit) {
        ol::SessionReader good(path("s.h5").toStdString());
        std::vector<ol::SiteStatistics> sites;
        for (const auto& [layer, site] : good.sites()) sites.push_back(good.statistics(layer, site));
        edit(sites);
        ol::writeSession(path(name).toStdString(), good.info(), sites);
        return path(name);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(!qgetenv("OUTLIERLAB_CLI").isEmpty(), "OUTLIERLAB_CLI not set (run through ctest)");
        QVERIFY(m_dir.isValid());
        auto r = runCli({"calibrate", "--nsamples", "2", "--seqlen", "64", "--out", path("s.h5"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runCli(QStringList(kRtn) << "--save_dir" << path("run"));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    // HDF5 1.10 crashed at exit after a failed file close; the error must be the last word, and only
    // complete files may remain.
    void diskFullDuringHdf5Writes() {
        SmallDisk disk(path("full"), "200k");
        if (!disk.mounted()) QSKIP("cannot mount a tmpfs here (needs root); the full-disk case is not exercised");
        auto r = runCli({"calibrate", "--nsamples", "2", "--seqlen", "64", "--out", path("full/s.h5"), "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("full/s.h5") && r.err.contains("No space left on device"), qPrintable(r.err));
        QVERIFY2(!r.err.contains("filename = '"), qPrintable(r.err)); // HDF5's raw diagnostics trimmed
        QCOMPARE(filesUnder(path("full")), QStringList{});

        r = runCli(QStringList(kRtn) << "--save_dir" << path("full/run"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("No space left on device"), qPrintable(r.err));
        QCOMPARE(filesUnder(path("full"), "*.tmp-*"), QStringList{});
        for (const auto& f : filesUnder(path("full/run/layers")))
            QVERIFY2(ol::H5File::openRead(path("full/run/layers/" + f).toStdString()).exists("/report"), qPrintable(f));
    }

    // The export's disk fills, or its target is read-only: a clear error naming the export, nothing
    // half-written there, and once space returns the run (whose layers are all checkpointed) exports the
    // same bytes as an export that never failed. A read-only --save_dir is refused before any layer.
    void diskFullOrReadOnlyDuringExport() {
        auto r = runCli(QStringList(kRtn) << "--save_dir" << path("run") << "--resume"
                                          << "--export" << path("ref-export"));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto reference = hashOfExport(path("ref-export"));
        QVERIFY(!reference.isEmpty());
        {
            SmallDisk disk(path("small"), "64k"); // the bundled model's export is about 0.5 MB
            if (!disk.mounted()) QSKIP("cannot mount a tmpfs here (needs root); the full-disk export is not exercised");
            r = runCli(QStringList(kRtn) << "--save_dir" << path("run") << "--resume"
                                         << "--export" << path("small/e"));
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains("small/e") && r.err.contains("No space left on device") && readable(r), qPrintable(r.err));
            QCOMPARE(filesUnder(path("small")), QStringList{});
        }
        {
            SmallDisk disk(path("ro"), "1m", "ro");
            QVERIFY(disk.mounted());
            r = runCli(QStringList(kRtn) << "--save_dir" << path("run") << "--resume"
                                         << "--export" << path("ro/e"));
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains("ro/e") && r.err.contains("Read-only file system") && readable(r), qPrintable(r.err));
            r = runCli(QStringList(kRtn) << "--save_dir" << path("ro/run"));
            QVERIFY(r.exitCode != 0);
            QVERIFY2(r.err.contains("ro/run") && r.err.contains("Read-only file system") && readable(r), qPrintable(r.err));
            QCOMPARE(filesUnder(path("ro")), QStringList{});
        }
        r = runCli(QStringList(kRtn) << "--save_dir" << path("run") << "--resume"
                                     << "--export" << path("later-export"));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(hashOfExport(path("later-export")), reference);
    }

    // A run that fails before its first layer leaves no stub (it would only make the rerun ask for --resume).
    void failedQuantizeLeavesNoRunStub() {
        QFile::copy(path("s.h5"), path("stub.h5"));
        auto r = runCliWithEnv(QStringList(kRtn) << "--session" << path("stub.h5"), "OUTLIERLAB_FAIL_AT", "layer");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("fault injected at layer"), qPrintable(r.err));
        QVERIFY2(!QFileInfo::exists(path("stub.h5.runs")), qPrintable(filesUnder(path("stub.h5.runs")).join(' ')));
        r = runCliWithEnv(QStringList(kRtn) << "--save_dir" << path("stub-run"), "OUTLIERLAB_FAIL_AT", "layer");
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!QFileInfo::exists(path("stub-run")));
        // A failure after finished layers keeps the run for --resume.
        r = runCliWithEnv(QStringList(kRtn) << "--save_dir" << path("half-run"), "OUTLIERLAB_FAIL_AT", "layer:3");
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(filesUnder(path("half-run/layers")), (QStringList{"layer-00000.h5", "layer-00001.h5"}));
        r = runCli(QStringList(kRtn) << "--save_dir" << path("half-run") << "--resume");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    void resumeOfAMissingRunIsRefused() {
        const auto r = runCli(QStringList(kRtn) << "--resume"
                                                << "--save_dir" << path("no-such-run"));
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("no-such-run holds no run to continue"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(path("no-such-run")));
    }

    // kill -9 while layer 2 is half written leaves its temporary; the resume removes it (and other
    // temporaries of the run's own pattern), not files it does not own.
    void resumeRemovesStaleTemporaries() {
        auto r = runCliWithEnv(QStringList(kRtn) << "--save_dir" << path("stale"), "OUTLIERLAB_KILL_AT", "layer-write:3");
        QCOMPARE(r.exitCode, -1); // killed
        QCOMPARE(filesUnder(path("stale/layers"), "*.tmp-*").size(), 1);
        for (const auto& name : {"stale/run.json.tmp-999999-1", "stale/notes.txt", "stale/layers/notes.tmp-1-1"}) {
            QFile f(path(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x");
        }
        r = runCli(QStringList(kRtn) << "--resume"
                                     << "--save_dir" << path("stale"));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(filesUnder(path("stale"), "*.tmp-*"), QStringList{"layers/notes.tmp-1-1"}); // not ours: left alone
        QVERIFY(QFile::exists(path("stale/notes.txt")));
        QCOMPARE(filesUnder(path("stale/layers"), "layer-*.h5").size(), 5);
    }

    void runJsonRefused_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("newer format") << "format_version" << QJsonValue(7)
                                      << "run format version 7 is newer than this OutlierLab reads (2)";
        QTest::newRow("unknown method") << "method" << QJsonValue("nosuch") << "method 'nosuch' is unknown";
        QTest::newRow("negative layers") << "num_layers" << QJsonValue(-1) << "'num_layers' is -1";
        QTest::newRow("layers a string") << "num_layers" << QJsonValue("5") << "'num_layers' is \"5\"";
        QTest::newRow("fewer layers") << "num_layers" << QJsonValue(3) << "num_layers is 3 but the model has 5";
        // Found by fuzz-runmanifest: a number where the format name belongs escaped as a raw JSON type error.
        QTest::newRow("format a number") << "format" << QJsonValue(1) << "'format' is 1, not \"outlierlab-quantization-run\"";
    }
    void runJsonRefused() {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, expected);
        const auto dir = path(QString("runjson-%1").arg(QTest::currentDataTag()).replace(' ', '-'));
        copyTree(path("run"), dir);
        QVERIFY(editJson(dir + "/run.json", key, value));
        const auto r = runCli({"export", dir, "--out", dir + "-export", "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("run.json") && r.err.contains(expected), qPrintable(r.err));
        QVERIFY2(readable(r), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(dir + "-export"));
    }

    // run.json names the tokenizer that export copies: only one inside the run or the model directory.
    void exportTakesOnlyTheRunsTokenizer() {
        copyTree(path("run"), path("tok-run"));
        QDir().mkpath(path("elsewhere"));
        QFile::copy(QString(OL_RESOURCES_DIR) + "/demo/tok512.bin", path("elsewhere/tok512.bin"));
        QVERIFY(editJson(path("tok-run/run.json"), "tokenizer_path", path("elsewhere/tok512.bin")));
        auto r = runCli({"export", path("tok-run"), "--out", path("tok-export"), "--quiet"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("tokenizer_path") && r.err.contains("outside the run directory") && r.err.contains("--tokenizer"),
                 qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(path("tok-export")));
        r = runCli(
            {"export", path("tok-run"), "--out", path("tok-export"), "--tokenizer", path("elsewhere/tok512.bin"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(QFile::exists(path("tok-export/tokenizer.bin")));
    }

    void exportOutErrorsNameOut() {
        QDir().mkpath(path("busy"));
        QFile f(path("busy/file"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        const auto r = runCli({"export", path("run"), "--out", path("busy"), "--quiet"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--out " + path("busy")) && !r.err.contains("--export"), qPrintable(r.err));
    }

    // export SESSION.h5 reads the session first: a runs folder beside an empty or corrupt file is not enough.
    void exportOfABadSessionIsRefused_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty") << QByteArray() << "not an HDF5 file";
        QTest::newRow("garbage") << QByteArray(4096, 'g') << "not an HDF5 file";
    }
    void exportOfABadSessionIsRefused() {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const auto session = path(QString("bad-%1.h5").arg(QTest::currentDataTag()));
        QFile f(session);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
        f.close();
        copyTree(path("run"), session + ".runs/somerun");
        const auto r = runCli({"export", session, "--out", session + "-export", "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(session + ": " + expected), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(session + "-export"));
    }

    void corruptSessionData_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expected");
        QTest::newRow("nan") << "nan.h5"
                             << "/layers/2/down_in/absmax holds NaN or infinite values";
        QTest::newRow("short act_scales") << "scales.h5"
                                          << "/layers/1/attn_in/act_scales has shape [63], expected [64]";
        QTest::newRow("top_positions shape") << "positions.h5"
                                             << "/layers/0/mlp_in/top_positions has shape";
        QTest::newRow("deleted layer") << "layer.h5"
                                       << "/layers/3 is missing (the model has 5 layers, the session 4)";
    }
    void corruptSessionData() {
        QFETCH(QString, name);
        QFETCH(QString, expected);
        using ol::Site;
        if (name == "nan.h5")
            sessionWith(name, [](auto& sites) {
                for (auto& s : sites)
                    if (s.layer == 2 && s.site == Site::DownInput) s.absmax[3] = std::numeric_limits<float>::quiet_NaN();
            });
        if (name == "scales.h5")
            sessionWith(name, [](auto& sites) {
                for (auto& s : sites)
                    if (s.layer == 1 && s.site == Site::AttnInput) s.actScales = s.actScales.narrow(0, 0, 63).clone();
            });
        if (name == "positions.h5") {
            QFile::copy(path("s.h5"), path(name));
            auto f = ol::H5File::update(path(name).toStdString());
            f.writeTensor("/layers/0/mlp_in/top_positions", at::zeros({256, 2}, at::kLong));
            f.commit();
        }
        if (name == "layer.h5")
            sessionWith(name, [](auto& sites) { std::erase_if(sites, [](const auto& s) { return s.layer == 3; }); });
        auto r = runCli({"inspect", path(name)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(path(name)) && r.err.contains(expected), qPrintable(r.err));
        QVERIFY2(readable(r), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
        r = runCli(QStringList(kRtn) << "--session" << path(name));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
    }

    // Recipes are checked whole before the calibration starts: nothing is written on any of these.
    void recipeRefusedUpFront_data() {
        QTest::addColumn<QByteArray>("recipe");
        QTest::addColumn<QString>("expected");
        const QByteArray runs = R"("runs": [{"method": "rtn"}])";
        QTest::newRow("calibration typo") << R"({"calibration": {"nsamples": 2, "nsampels": 3}, )" + runs + "}"
                                          << "calibration.nsampels: unknown key";
        QTest::newRow("nsamples wraps") << R"({"calibration": {"nsamples": 4294967298}, )" + runs + "}"
                                        << "calibration.nsamples: 4294967298 is out of range (1 to 100000)";
        QTest::newRow("negative seqlen") << R"({"calibration": {"seqlen": -32}, )" + runs + "}"
                                         << "calibration.seqlen: -32 is out of range";
        QTest::newRow("seed 1e20") << R"({"calibration": {"seed": 1e20}, )" + runs + "}"
                                   << "calibration.seed: 1e+20 is out of range";
        QTest::newRow("seed -1") << R"({"calibration": {"seed": -1}, )" + runs + "}"
                                 << "calibration.seed: -1 is out of range";
        QTest::newRow("nsamples a string") << R"({"calibration": {"nsamples": "x"}, )" + runs + "}"
                                           << "calibration.nsamples: expected an integer, not \"x\"";
        QTest::newRow("export a number") << QByteArray(R"({"runs": [{"method": "rtn", "export": 5}]})")
                                         << "export: expected a string, not 5";
        QTest::newRow("limit -7") << R"({"limit": -7, )" + runs + "}"
                                  << "limit: -7 is out of range";
        QTest::newRow("empty name") << QByteArray(R"({"runs": [{"name": "", "method": "rtn"}]})")
                                    << "runs[0].name: a run needs a non-empty name";
        QTest::newRow("method int wraps") << QByteArray(R"({"runs": [{"method": "duquant", "block_size": 4294967300}]})")
                                          << "--block_size 4294967300 is out of range";
        QTest::newRow("same export") << QByteArray(
                                            R"({"runs": [{"name": "a", "method": "rtn", "export": "EXPORT"},
                                                                {"name": "b", "method": "rtn", "export": "EXPORT/"}]})")
                                     << "run \"a\" export and run \"b\" export are both";
        QTest::newRow("same save_dir") << QByteArray(R"({"runs": [{"name": "a", "method": "rtn", "save_dir": "EXPORT"},
                                                                  {"name": "b", "method": "rtn", "export": "EXPORT"}]})")
                                       << "run \"a\" save_dir and run \"b\" export are both";
        QTest::newRow("resume of nothing") << QByteArray(R"({"runs": [{"method": "rtn", "save_dir": "EXPORT", "resume": true}]})")
                                           << "holds no run to continue";
    }
    void recipeRefusedUpFront() {
        QFETCH(QByteArray, recipe);
        QFETCH(QString, expected);
        const auto file = path("recipe.json");
        QFile::remove(path("recipe.h5"));
        QDir(path("recipe-out")).removeRecursively();
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        recipe.replace("\"EXPORT", ("\"" + path("recipe-out")).toUtf8());
        recipe.insert(1, ("\"session\": \"" + path("recipe.h5") + "\", ").toUtf8());
        f.write(recipe);
        f.close();
        const auto r = runCli({"batch", file, "--quiet"}, 60000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("recipe.json") && r.err.contains(expected), qPrintable(r.err));
        QVERIFY2(readable(r), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(path("recipe.h5")));
        QVERIFY(!QFileInfo::exists(path("recipe-out")));
    }
};

QTEST_GUILESS_MAIN(TestBadInputRuns)
#include "tst_badinput_runs.moc"
