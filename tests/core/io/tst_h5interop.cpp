// The session files are plain HDF5: the standard tools read them without
// OutlierLab (h5dump shows names, types, attribute values, data and layout),
// and the wrapper reads files those tools rewrote (h5repack).
#include "core/errors.h"
#include "core/io/h5file.h"

#include "h5testutil.h"

#include <ATen/ATen.h>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

using namespace ol;
using namespace h5test;

namespace {

// Runs a command-line tool and returns its standard output; empty when it
// is not installed (the caller skips).
QString runTool(const QString& tool, const QStringList& args, int* exitCode = nullptr) {
    QProcess p;
    p.start(tool, args);
    if (!p.waitForFinished(60000)) return QStringLiteral("<%1 did not finish>").arg(tool);
    if (exitCode) *exitCode = p.exitCode();
    return QString::fromUtf8(p.readAllStandardOutput()) + QString::fromUtf8(p.readAllStandardError());
}

// h5dump 1.10 prints each byte outside ASCII as a backslash and the octal
// value of the sign-extended char ("\\37777777703" for 0xC3); this turns the
// escapes back into bytes so the UTF-8 text can be compared.
std::string h5dumpBytes(const QString& output) {
    const std::string in = output.toStdString();
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\\' && i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '7') {
            unsigned long value = 0;
            while (i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '7')
                value = value * 8 + static_cast<unsigned long>(in[++i] - '0');
            out += static_cast<char>(value & 0xff);
        } else {
            out += in[i];
        }
    }
    return out;
}

} // namespace

class TestH5Interop : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The files are plain HDF5: the reference tool shows the names, types,
    // attribute values and data that were written, and the storage layout.
    void h5dumpSeesEverything() {
        const QString h5dump = QStandardPaths::findExecutable("h5dump");
        if (h5dump.isEmpty()) QSKIP("h5dump is not installed (Debian package hdf5-tools)");
        const std::string path = outDir("h5dump") + "/session.h5";
        const QString file = QString::fromStdString(path);
        {
            H5File f = H5File::create(path);
            const std::string site = "/layers/3/mlp.down_proj";
            f.writeTensor(site + "/absmax", at::tensor({1.5, 2.25, -3.125, 4096.5}, at::kDouble));
            f.writeTensor(site + "/argmax", at::tensor(std::vector<std::int64_t>{11, -22, 33}, at::kLong));
            f.setAttribute(site, "module", std::string("model.layers.3.mlp.down_proj"));
            f.setAttribute(site, "channels", std::int64_t{11008});
            f.setAttribute(site, "kurtosis", 0.375);
            f.setAttribute(site, "window_ids", std::vector<std::int64_t>{7, 8, 9});
            f.setAttribute(site, "ratios", std::vector<double>{0.5, 1.25});
            f.setAttribute("/", "format", std::string("outlierlab-session"));
            f.setAttribute("/", "title", std::string("Größe 量子化"));
            f.writeTensor("/flags", at::tensor(std::vector<std::int64_t>{1, 0, 1}, at::kLong).to(at::kBool));
            f.writeTensor("/half", at::tensor({0.5, -2.0, 1024.0}, at::kFloat).to(at::kHalf));
            f.writeTensor("/scalar", at::scalar_tensor(42, at::kInt));
            f.writeString("/note", "Größe 量子化");
            f.writeTensor("/small", at::zeros({16384}, at::kFloat)); // exactly 64 KiB
            f.writeTensor("/big", at::zeros({16385}, at::kFloat));   // one value more
            f.commit();
        }

        // -H: the structure, types and shapes.
        int rc = -1;
        const QString header = runTool(h5dump, {"-H", file}, &rc);
        QCOMPARE(rc, 0);
        for (const char* expected : {"GROUP \"layers\"",
                                     "GROUP \"3\"",
                                     "GROUP \"mlp.down_proj\"",
                                     "DATASET \"absmax\"",
                                     "DATASET \"argmax\"",
                                     "DATATYPE  H5T_IEEE_F64LE",
                                     "DATATYPE  H5T_STD_I64LE",
                                     "DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }",
                                     "ATTRIBUTE \"module\"",
                                     "ATTRIBUTE \"channels\"",
                                     "ATTRIBUTE \"kurtosis\"",
                                     "ATTRIBUTE \"window_ids\"",
                                     "ATTRIBUTE \"ratios\"",
                                     "CSET H5T_CSET_UTF8",
                                     "STRSIZE H5T_VARIABLE",
                                     "DATASET \"flags\"",
                                     "DATATYPE  H5T_STD_U8LE",
                                     "ATTRIBUTE \"ol_dtype\"",
                                     "DATASET \"scalar\"",
                                     "DATASPACE  SCALAR",
                                     "DATASET \"note\"",
                                     "DATASET \"half\"",
                                     "16-bit little-endian floating-point"})
            QVERIFY2(header.contains(QString::fromUtf8(expected)), qPrintable(QString::fromUtf8(expected) + "\n" + header));

        // -A: the same plus the attributes' values (-H leaves them out).
        const QString attributes = runTool(h5dump, {"-A", file}, &rc);
        QCOMPARE(rc, 0);
        for (const char* expected : {"(0): \"model.layers.3.mlp.down_proj\"", "(0): 11008", "(0): 0.375", "(0): 7, 8, 9",
                                     "(0): 0.5, 1.25", "(0): \"outlierlab-session\"", "(0): \"bool\""})
            QVERIFY2(attributes.contains(QString::fromUtf8(expected)),
                     qPrintable(QString::fromUtf8(expected) + "\n" + attributes));
        QVERIFY2(h5dumpBytes(attributes).find("(0): \"Größe 量子化\"") != std::string::npos, qPrintable(attributes));

        auto data = [&](const char* dataset) {
            int code = -1;
            const QString out = runTool(h5dump, {"-d", QString::fromUtf8(dataset), file}, &code);
            return code == 0 ? out : QStringLiteral("<h5dump failed>\n") + out;
        };
        QString out = data("/layers/3/mlp.down_proj/absmax");
        QVERIFY2(out.contains("1.5, 2.25, -3.125, 4096.5"), qPrintable(out));
        out = data("/layers/3/mlp.down_proj/argmax");
        QVERIFY2(out.contains("11, -22, 33"), qPrintable(out));
        out = data("/flags");
        QVERIFY2(out.contains("1, 0, 1"), qPrintable(out));
        out = data("/half");
        QVERIFY2(out.contains("0.5, -2, 1024"), qPrintable(out));
        out = data("/scalar");
        QVERIFY2(out.contains("(0): 42"), qPrintable(out));
        out = data("/note");
        QVERIFY2(h5dumpBytes(out).find("(0): \"Größe 量子化\"") != std::string::npos, qPrintable(out));

        // Storage: the 64 KiB dataset stays contiguous, the larger one is
        // chunked with shuffle and deflate level 4.
        const QString props = runTool(h5dump, {"-p", "-H", file}, &rc);
        QCOMPARE(rc, 0);
        const int bigAt = props.indexOf("DATASET \"big\"");
        const int smallAt = props.indexOf("DATASET \"small\"");
        QVERIFY2(bigAt >= 0 && smallAt > bigAt, qPrintable(props)); // h5dump lists by name
        const QString big = props.mid(bigAt, props.indexOf("DATASET", bigAt + 1) - bigAt);
        const QString small = props.mid(smallAt, props.indexOf("DATASET", smallAt + 1) - smallAt);
        QVERIFY2(big.contains("CHUNKED") && big.contains("SHUFFLE") && big.contains("DEFLATE { LEVEL 4 }"), qPrintable(big));
        QVERIFY2(small.contains("CONTIGUOUS") && !small.contains("DEFLATE"), qPrintable(small));
    }

    // A file rewritten by the standard h5repack (other layouts and filters)
    // still reads back the same.
    void readsFilesRewrittenByH5repack() {
        const QString h5repack = QStandardPaths::findExecutable("h5repack");
        if (h5repack.isEmpty()) QSKIP("h5repack is not installed (Debian package hdf5-tools)");
        const std::string dir = outDir("h5repack");
        const auto samples = sampleTensors();
        const at::Tensor big = at::randn({200, 300}, at::kFloat);
        {
            H5File f = H5File::create(dir + "/in.h5");
            for (const auto& [name, t] : samples) f.writeTensor("/t/" + name, t);
            f.writeTensor("/big", big);
            f.writeString("/s", "Größe");
            f.setAttribute("/t", "n", std::int64_t{5});
            f.commit();
        }
        int rc = -1;
        const QString out = runTool(
            h5repack, {"-f", "GZIP=9", QString::fromStdString(dir + "/in.h5"), QString::fromStdString(dir + "/out.h5")}, &rc);
        QVERIFY2(rc == 0, qPrintable(out));
        H5File f = H5File::openRead(dir + "/out.h5");
        for (const auto& [name, t] : samples) QVERIFY2(sameTensor(f.readTensor("/t/" + name), t), name.c_str());
        QVERIFY(sameTensor(f.readTensor("/big"), big));
        QCOMPARE(f.readString("/s"), std::string("Größe"));
        QCOMPARE(f.intAttribute("/t", "n"), std::int64_t{5});
    }
};

QTEST_GUILESS_MAIN(TestH5Interop)
#include "tst_h5interop.moc"
