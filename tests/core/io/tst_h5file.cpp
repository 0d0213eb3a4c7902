// The HDF5 wrapper: round trips of every dtype (0-dim, empty, compressed),
// attributes, UTF-8 strings, groups and paths, replacing, updating and the
// atomic-write guarantees (errors and threads: tst_h5errors; what the standard
// HDF5 tools see in the files: tst_h5interop).
#include "core/errors.h"
#include "core/io/h5file.h"

#include "h5testutil.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QtTest>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

using namespace ol;
using namespace h5test;
namespace fs = std::filesystem;

class TestH5File : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripEveryDtype() {
        const std::string path = outDir("dtypes") + "/t.h5";
        const auto samples = sampleTensors();
        {
            H5File f = H5File::create(path);
            for (const auto& [name, t] : samples) {
                f.writeTensor("/full/" + name, t);
                // 0-dim: a scalar dataspace.
                f.writeTensor("/scalar/" + name, t.reshape({-1})[1].clone());
                f.writeTensor("/empty1/" + name, at::empty({0}, t.options()));
                f.writeTensor("/empty3/" + name, at::empty({2, 0, 3}, t.options()));
            }
            f.commit();
        }
        H5File f = H5File::openRead(path);
        for (const auto& [name, t] : samples) {
            const QByteArray n = QByteArray::fromStdString(name);
            const at::Tensor full = f.readTensor("/full/" + name);
            QVERIFY2(sameTensor(full, t), (n + ": " + describe(full).toUtf8()).constData());
            QCOMPARE(f.datasetShape("/full/" + name), t.sizes().vec());

            const at::Tensor scalar = f.readTensor("/scalar/" + name);
            QVERIFY2(scalar.dim() == 0, n.constData());
            QVERIFY2(sameTensor(scalar, t.reshape({-1})[1]), (n + ": " + describe(scalar).toUtf8()).constData());
            QCOMPARE(f.datasetShape("/scalar/" + name), std::vector<std::int64_t>{});

            const at::Tensor e1 = f.readTensor("/empty1/" + name);
            QVERIFY2(e1.scalar_type() == t.scalar_type() && e1.sizes() == at::IntArrayRef({0}), n.constData());
            const at::Tensor e3 = f.readTensor("/empty3/" + name);
            QVERIFY2(e3.scalar_type() == t.scalar_type() && e3.sizes() == at::IntArrayRef({2, 0, 3}), n.constData());
            QCOMPARE(f.datasetShape("/empty3/" + name), (std::vector<std::int64_t>{2, 0, 3}));
        }
    }

    void unsupportedDtypeIsRefused() {
        H5File f = H5File::create(outDir("unsupported") + "/t.h5");
        const QString msg = errorOf<UsageError>([&] { f.writeTensor("/c", at::zeros({2}, at::kComplexFloat)); });
        QVERIFY2(msg.contains("/c") && msg.contains("t.h5") && msg.contains("ComplexFloat"), qPrintable(msg));
        QVERIFY(!f.exists("/c"));
        QVERIFY(errorOf<UsageError>([&] { f.writeTensor("/u", at::Tensor()); }).contains("/u"));
        QVERIFY(errorOf<UsageError>([&] { f.writeTensor("/", at::zeros({2})); }).contains("root"));
    }

    void layoutIsLogicalOrder() {
        const std::string path = outDir("layout") + "/t.h5";
        const at::Tensor base = at::arange(12, at::kFloat).reshape({3, 4});
        const at::Tensor transposed = base.t();                                  // not contiguous
        const at::Tensor strided = at::arange(20, at::kLong).slice(0, 1, 20, 3); // step 3
        const at::Tensor withGrad = at::ones({3}, at::kDouble).requires_grad_();
        {
            H5File f = H5File::create(path);
            f.writeTensor("t", transposed);
            f.writeTensor("s", strided);
            f.writeTensor("g", withGrad);
            f.commit();
        }
        H5File f = H5File::openRead(path);
        QVERIFY(sameTensor(f.readTensor("/t"), transposed.contiguous()));
        QVERIFY(sameTensor(f.readTensor("/s"), strided.contiguous()));
        QVERIFY(sameTensor(f.readTensor("/g"), withGrad.detach()));
    }

    void largeTensorsAreCompressed() {
        const std::string dir = outDir("large");
        // 4 MiB of a repeating ramp: deflate must shrink it a lot.
        const at::Tensor ramp = at::arange(1 << 20, at::kFloat).remainder(100);
        // Incompressible, with shapes that do not divide into chunks evenly,
        // and one whose single row is over the chunk target (split inside rows).
        const at::Tensor noise = at::randn({300, 1001}, at::kDouble);
        const at::Tensor wideRows = at::randn({3, 300001}, at::kFloat);
        const at::Tensor bigInts = at::randint(-1000, 1000, {70000}, at::kLong);
        const at::Tensor bigBools = at::randint(0, 2, {100000}, at::kLong).to(at::kBool);
        {
            H5File f = H5File::create(dir + "/ramp.h5");
            f.writeTensor("/ramp", ramp);
            f.commit();
        }
        const auto raw = static_cast<std::uintmax_t>(ramp.numel()) * 4;
        const auto size = fs::file_size(dir + "/ramp.h5");
        QVERIFY2(size < raw / 10, qPrintable(QStringLiteral("file %1 bytes, raw %2").arg(size).arg(raw)));
        {
            H5File f = H5File::create(dir + "/mixed.h5");
            f.writeTensor("/noise", noise);
            f.writeTensor("/wide", wideRows);
            f.writeTensor("/ints", bigInts);
            f.writeTensor("/bools", bigBools);
            f.commit();
        }
        H5File r = H5File::openRead(dir + "/ramp.h5");
        QVERIFY(sameTensor(r.readTensor("/ramp"), ramp));
        H5File m = H5File::openRead(dir + "/mixed.h5");
        QVERIFY(sameTensor(m.readTensor("/noise"), noise));
        QVERIFY(sameTensor(m.readTensor("/wide"), wideRows));
        QVERIFY(sameTensor(m.readTensor("/ints"), bigInts));
        QVERIFY(sameTensor(m.readTensor("/bools"), bigBools));
    }

    void attributesOfEveryType() {
        const std::string path = outDir("attributes") + "/t.h5";
        const std::string longText(100 * 1024, 'x'); // over HDF5's 64 KiB compact attribute limit
        const std::vector<std::int64_t> ints{std::numeric_limits<std::int64_t>::min(), -5, 0, 42,
                                             std::numeric_limits<std::int64_t>::max()};
        const std::vector<double> doubles{0.1, -2.5e-300, 1e300, -0.0};
        std::vector<double> many(1000);
        for (std::size_t i = 0; i < many.size(); ++i) many[i] = 0.001 * static_cast<double>(i);
        const std::vector<std::string> objects{"/", "/group", "/group/data"};

        auto check = [&](const H5File& f) {
            for (const auto& o : objects) {
                QVERIFY2(f.hasAttribute(o, "s"), o.c_str());
                QCOMPARE(f.stringAttribute(o, "s"), "value of " + o);
                QCOMPARE(f.stringAttribute(o, "utf8"), std::string("Größe – 量子化 🙂"));
                QCOMPARE(f.stringAttribute(o, "empty"), std::string());
                QCOMPARE(f.intAttribute(o, "i"), std::int64_t{-1234567890123});
                QCOMPARE(f.intAttribute(o, "literal"), std::int64_t{7});
                QCOMPARE(f.intAttribute(o, "unsigned"), std::int64_t{3000000000});
                QCOMPARE(f.doubleAttribute(o, "d"), 0.375);
                QCOMPARE(f.doubleAttribute(o, "tenth"), 0.1);
                QCOMPARE(f.intsAttribute(o, "ints"), ints);
                QCOMPARE(f.intsAttribute(o, "noInts"), std::vector<std::int64_t>{});
                QCOMPARE(f.doublesAttribute(o, "doubles").size(), doubles.size());
                for (std::size_t i = 0; i < doubles.size(); ++i)
                    QVERIFY(std::memcmp(&f.doublesAttribute(o, "doubles")[i], &doubles[i], sizeof(double)) == 0);
                QCOMPARE(f.doublesAttribute(o, "noDoubles"), std::vector<double>{});
                QCOMPARE(f.doublesAttribute(o, "many"), many);
                QCOMPARE(f.stringAttribute(o, "long"), longText);
                // Replaced with another type.
                QCOMPARE(f.intAttribute(o, "changes"), std::int64_t{99});
                // Integers read as doubles (h5py writes Python ints as int64).
                QCOMPARE(f.doubleAttribute(o, "i"), -1234567890123.0);
                QCOMPARE(f.doublesAttribute(o, "ints").size(), ints.size());
                QVERIFY(!f.hasAttribute(o, "absent"));
            }
        };
        {
            H5File f = H5File::create(path);
            f.createGroup("/group");
            f.writeTensor("/group/data", at::zeros({3}));
            for (const auto& o : objects) {
                f.setAttribute(o, "s", "value of " + o);
                f.setAttribute(o, "utf8", std::string("Größe – 量子化 🙂"));
                f.setAttribute(o, "empty", std::string());
                f.setAttribute(o, "i", std::int64_t{-1234567890123});
                f.setAttribute(o, "literal", 7);                        // int: the integral template
                f.setAttribute(o, "unsigned", std::size_t{3000000000}); // size_t too
                f.setAttribute(o, "d", 0.375);
                f.setAttribute(o, "tenth", 0.1);
                f.setAttribute(o, "ints", ints);
                f.setAttribute(o, "noInts", std::vector<std::int64_t>{});
                f.setAttribute(o, "doubles", doubles);
                f.setAttribute(o, "noDoubles", std::vector<double>{});
                f.setAttribute(o, "many", many);
                f.setAttribute(o, "long", longText);
                f.setAttribute(o, "changes", std::string("first a string"));
                f.setAttribute(o, "changes", std::vector<double>{1.0, 2.0});
                f.setAttribute(o, "changes", std::int64_t{99});
            }
            check(f); // before commit, from the open file
            if (QTest::currentTestFailed()) return;
            f.commit();
        }
        H5File f = H5File::openRead(path);
        check(f);
        QVERIFY(!f.hasAttribute("/no/such/object", "s"));
        QVERIFY(f.exists("/group/data")); // attributes made no objects
        QCOMPARE(f.children("/"), std::vector<std::string>{"group"});
    }

    void attributeErrorsNameTheAttribute() {
        const std::string path = outDir("attributeErrors") + "/t.h5";
        H5File f = H5File::create(path);
        f.createGroup("/g");
        f.setAttribute("/g", "n", std::int64_t{5});
        f.setAttribute("/g", "x", 2.5);
        f.setAttribute("/g", "v", std::vector<std::int64_t>{1, 2, 3});
        f.setAttribute("/g", "s", std::string("text"));

        QString msg = errorOf<FormatError>([&] { f.stringAttribute("/g", "n"); });
        QVERIFY2(msg.contains("t.h5") && msg.contains("/g") && msg.contains("'n'") && msg.contains("not a string"),
                 qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.intAttribute("/g", "x"); });
        QVERIFY2(msg.contains("'x'") && msg.contains("float") && msg.contains("not an integer"), qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.intAttribute("/g", "v"); });
        QVERIFY2(msg.contains("'v'") && msg.contains("holds 3 values"), qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.doublesAttribute("/g", "s"); });
        QVERIFY2(msg.contains("'s'") && msg.contains("not a number"), qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.intAttribute("/g", "absent"); });
        QVERIFY2(msg.contains("t.h5") && msg.contains("/g") && msg.contains("'absent'") && msg.contains("no such"),
                 qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.stringAttribute("/missing/obj", "s"); });
        QVERIFY2(msg.contains("/missing/obj") && msg.contains("no such"), qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.setAttribute("/missing", "a", 1.0); });
        QVERIFY2(msg.contains("t.h5") && msg.contains("/missing") && msg.contains("no such"), qPrintable(msg));
        QVERIFY(!f.exists("/missing"));
        msg = errorOf<UsageError>([&] { f.setAttribute("/g", "", 1.0); });
        QVERIFY2(msg.contains("/g"), qPrintable(msg));
        msg = errorOf<UsageError>([&] { f.setAttribute("/g", "nul", std::string("a\0b", 3)); });
        QVERIFY2(msg.contains("'nul'") && msg.contains("NUL"), qPrintable(msg));
    }

    void utf8Strings() {
        const std::string path = outDir("strings") + "/t.h5";
        const std::string text = "Größe – 量子化 🙂 Ωμέγα\nsecond line\ttab";
        std::string big;
        while (big.size() < 200 * 1024) big += text;
        {
            H5File f = H5File::create(path);
            f.writeString("/s/utf8", text);
            f.writeString("/s/empty", "");
            f.writeString("/s/big", big);
            f.writeString("/s/Größe", "key with umlaut"); // non-ASCII object name too
            f.writeTensor("/s/tensor", at::ones({2}));
            const QString msg = errorOf<UsageError>([&] { f.writeString("/s/nul", std::string("a\0b", 3)); });
            QVERIFY2(msg.contains("/s/nul") && msg.contains("NUL"), qPrintable(msg));
            f.commit();
        }
        H5File f = H5File::openRead(path);
        QCOMPARE(f.readString("/s/utf8"), text);
        QCOMPARE(f.readString("/s/empty"), std::string());
        QCOMPARE(f.readString("/s/big"), big);
        QCOMPARE(f.readString("/s/Größe"), std::string("key with umlaut"));
        QCOMPARE(f.datasetShape("/s/utf8"), std::vector<std::int64_t>{});
        QVERIFY(!f.exists("/s/nul"));
        QString msg = errorOf<FormatError>([&] { f.readString("/s/tensor"); });
        QVERIFY2(msg.contains("/s/tensor") && msg.contains("not a string"), qPrintable(msg));
        msg = errorOf<FormatError>([&] { f.readTensor("/s/utf8"); });
        QVERIFY2(msg.contains("/s/utf8") && msg.contains("unsupported element type"), qPrintable(msg));
    }

    void childrenAreSorted() {
        const std::string path = outDir("children") + "/t.h5";
        H5File f = H5File::create(path);
        f.createGroup("/b");
        f.createGroup("/a.2");
        f.createGroup("/a.10");
        f.createGroup("/c/x");
        f.writeTensor("/z", at::zeros({1}));
        f.writeString("/y", "text");
        f.createGroup("/empty");
        f.writeTensor("/layers/10/t", at::zeros({1}));
        f.writeTensor("/layers/9/t", at::zeros({1}));
        f.writeTensor("/layers/0/t", at::zeros({1}));
        f.commit();

        H5File r = H5File::openRead(path);
        QCOMPARE(r.children("/"), (std::vector<std::string>{"a.10", "a.2", "b", "c", "empty", "layers", "y", "z"}));
        QCOMPARE(r.children("c"), std::vector<std::string>{"x"});
        QCOMPARE(r.children("/layers/"), (std::vector<std::string>{"0", "10", "9"}));
        QCOMPARE(r.children("/empty"), std::vector<std::string>{});
        QString msg = errorOf<FormatError>([&] { r.children("/nope/deeper"); });
        QVERIFY2(msg.contains("t.h5") && msg.contains("/nope/deeper") && msg.contains("no such group"), qPrintable(msg));
        msg = errorOf<FormatError>([&] { r.children("/z"); });
        QVERIFY2(msg.contains("/z") && msg.contains("not a group"), qPrintable(msg));
    }

    void existsAndGroups() {
        const std::string path = outDir("exists") + "/t.h5";
        H5File f = H5File::create(path);
        const std::string ds = "/layers/3/mlp.down_proj/absmax";
        QVERIFY(!f.exists(ds)); // every intermediate missing
        QVERIFY(!f.exists("/layers"));
        QVERIFY(f.exists("/"));
        f.writeTensor(ds, at::ones({4}, at::kDouble)); // creates the parents
        QVERIFY(f.exists(ds));
        QVERIFY(f.exists("/layers"));
        QVERIFY(f.exists("/layers/3/mlp.down_proj"));
        QVERIFY(f.exists("layers/3"));     // no leading slash
        QVERIFY(f.exists("//layers//3/")); // redundant slashes
        QVERIFY(!f.exists("/layers/4/mlp.down_proj/absmax"));
        QVERIFY(!f.exists(ds + "/deeper")); // through a dataset
        QVERIFY(!f.exists("/layers/3/mlp"));

        f.createGroup("/layers/3"); // exists: fine
        f.createGroup("/layers/3");
        f.createGroup("/");
        f.createGroup("/x/y/z"); // intermediates
        QVERIFY(f.exists("/x/y/z"));
        QCOMPARE(f.children("/x/y/z"), std::vector<std::string>{});
        const QString msg = errorOf<RuntimeFailure>([&] { f.createGroup(ds + "/sub"); });
        QVERIFY2(msg.contains(QString::fromStdString(ds)) && msg.contains("not a group"), qPrintable(msg));
        QVERIFY(sameTensor(f.readTensor(ds), at::ones({4}, at::kDouble)));
    }

    void replacingADataset() {
        const std::string path = outDir("replace") + "/t.h5";
        {
            H5File f = H5File::create(path);
            f.writeTensor("/r", at::arange(10, at::kFloat));
            f.setAttribute("/r", "note", std::string("old"));
            f.writeTensor("/r", at::tensor(std::vector<std::int64_t>{7, 8, 9}, at::kLong));
            QVERIFY(!f.hasAttribute("/r", "note")); // attributes belong to the old dataset
            // bool -> float must not keep the bool marker.
            f.writeTensor("/b", at::ones({2}, at::kBool));
            f.writeTensor("/b", at::full({2}, 2.5, at::kFloat));
            // string <-> tensor
            f.writeString("/s", "text");
            f.writeTensor("/s", at::ones({1}, at::kDouble));
            f.writeTensor("/t", at::ones({1}, at::kDouble));
            f.writeString("/t", "now a string");
            // A group is never replaced by a dataset.
            f.writeTensor("/g/inner", at::ones({1}));
            const QString msg = errorOf<RuntimeFailure>([&] { f.writeTensor("/g", at::ones({1})); });
            QVERIFY2(msg.contains("/g") && msg.contains("is a group"), qPrintable(msg));
            QVERIFY(errorOf<RuntimeFailure>([&] { f.writeString("/g", "x"); }).contains("is a group"));
            f.commit();
        }
        H5File f = H5File::openRead(path);
        QVERIFY(sameTensor(f.readTensor("/r"), at::tensor(std::vector<std::int64_t>{7, 8, 9}, at::kLong)));
        QVERIFY(sameTensor(f.readTensor("/b"), at::full({2}, 2.5, at::kFloat)));
        QVERIFY(sameTensor(f.readTensor("/s"), at::ones({1}, at::kDouble)));
        QCOMPARE(f.readString("/t"), std::string("now a string"));
        QCOMPARE(f.children("/g"), std::vector<std::string>{"inner"});
        QCOMPARE(f.children("/"), (std::vector<std::string>{"b", "g", "r", "s", "t"}));
    }

    void updateKeepsOldContent() {
        const std::string dir = outDir("update");
        const std::string path = dir + "/session.h5";
        const at::Tensor a = at::randn({5, 6}, at::kDouble);
        const at::Tensor big = at::arange(100000, at::kLong);
        {
            H5File f = H5File::create(path);
            f.writeTensor("/calib/a", a);
            f.writeTensor("/calib/big", big);
            f.setAttribute("/", "format_version", std::int64_t{1});
            f.setAttribute("/calib", "note", std::string("calibrated"));
            f.commit();
        }
        {
            H5File f = H5File::update(path);
            QVERIFY(sameTensor(f.readTensor("/calib/a"), a)); // readable while updating
            f.writeTensor("/quant/scales", at::ones({6}, at::kFloat));
            f.setAttribute("/", "format_version", std::int64_t{2});
            f.setAttribute("/quant", "bits", std::int64_t{4});
            f.writeString("/quant/method", "smoothquant");
            f.commit();
        }
        H5File f = H5File::openRead(path);
        QVERIFY(sameTensor(f.readTensor("/calib/a"), a));
        QVERIFY(sameTensor(f.readTensor("/calib/big"), big));
        QCOMPARE(f.stringAttribute("/calib", "note"), std::string("calibrated"));
        QCOMPARE(f.intAttribute("/", "format_version"), std::int64_t{2});
        QCOMPARE(f.intAttribute("/quant", "bits"), std::int64_t{4});
        QCOMPARE(f.readString("/quant/method"), std::string("smoothquant"));
        QVERIFY(sameTensor(f.readTensor("/quant/scales"), at::ones({6}, at::kFloat)));
        QCOMPARE(filesIn(dir), std::vector<std::string>{"session.h5"});

        QString msg = errorOf<FormatError>([&] { H5File::update(dir + "/missing.h5"); });
        QVERIFY2(msg.contains("missing.h5") && msg.contains("no such file"), qPrintable(msg));
        writeBytes(dir + "/notes.txt", "plain text\n");
        msg = errorOf<FormatError>([&] { H5File::update(dir + "/notes.txt"); });
        QVERIFY2(msg.contains("notes.txt: not an HDF5 file"), qPrintable(msg));
        QCOMPARE(filesIn(dir), (std::vector<std::string>{"notes.txt", "session.h5"}));
    }

    void uncommittedWritesLeaveNoTrace() {
        const std::string dir = outDir("uncommitted");
        const std::string path = dir + "/session.h5";
        {
            H5File f = H5File::create(path);
            f.writeTensor("/keep", at::arange(100, at::kFloat));
            f.setAttribute("/", "v", std::int64_t{1});
            f.commit();
        }
        const std::string original = readBytes(path);
        QVERIFY(!original.empty());

        {
            H5File f = H5File::create(path);
            f.writeTensor("/other", at::zeros({1000}));
            // The work happens in a temporary file next to the destination.
            QCOMPARE(filesIn(dir).size(), std::size_t{2});
            QCOMPARE(readBytes(path), original);
        }
        QCOMPARE(readBytes(path), original);
        QCOMPARE(filesIn(dir), std::vector<std::string>{"session.h5"});

        {
            H5File f = H5File::update(path);
            f.writeTensor("/keep", at::zeros({3}));
            f.writeTensor("/added", at::zeros({100000}));
            f.setAttribute("/", "v", std::int64_t{2});
            QCOMPARE(filesIn(dir).size(), std::size_t{2});
        }
        QCOMPARE(readBytes(path), original);
        QCOMPARE(filesIn(dir), std::vector<std::string>{"session.h5"});

        // An exception half-way through a job.
        try {
            H5File f = H5File::update(path);
            f.writeTensor("/keep", at::zeros({3}));
            throw std::runtime_error("job failed");
        } catch (const std::runtime_error&) {
        }
        QCOMPARE(readBytes(path), original);
        QCOMPARE(filesIn(dir), std::vector<std::string>{"session.h5"});

        // A new file never committed does not appear at all.
        {
            H5File f = H5File::create(dir + "/new.h5");
            f.writeTensor("/x", at::zeros({1}));
        }
        QCOMPARE(filesIn(dir), std::vector<std::string>{"session.h5"});

        H5File f = H5File::openRead(path);
        QVERIFY(sameTensor(f.readTensor("/keep"), at::arange(100, at::kFloat)));
        QCOMPARE(f.intAttribute("/", "v"), std::int64_t{1});
        QVERIFY(!f.exists("/added"));
    }

    void moving() {
        const std::string dir = outDir("moving");
        H5File a = H5File::create(dir + "/a.h5");
        a.writeTensor("/x", at::ones({2}));
        H5File b = std::move(a);
        b.writeTensor("/y", at::ones({3}));
        QCOMPARE(b.path(), dir + "/a.h5");
        const QString msg = errorOf<RuntimeFailure>([&] { a.exists("/x"); });
        QVERIFY2(msg.startsWith("H5File: ") && msg.contains("closed"), qPrintable(msg));
        b.commit();

        // Assigning over an uncommitted writer abandons it.
        H5File w = H5File::create(dir + "/dropped.h5");
        w.writeTensor("/x", at::ones({2}));
        w = H5File::create(dir + "/kept.h5");
        w.writeTensor("/z", at::ones({4}));
        w.commit();
        QCOMPARE(filesIn(dir), (std::vector<std::string>{"a.h5", "kept.h5"}));

        H5File r = H5File::openRead(dir + "/a.h5");
        QCOMPARE(r.children("/"), (std::vector<std::string>{"x", "y"}));
        r = H5File::openRead(dir + "/kept.h5");
        QCOMPARE(r.children("/"), std::vector<std::string>{"z"});
    }

    // A session stays open in a view while another reader (or an update of
    // the same path) comes and goes.
    void severalHandlesOnOneFile() {
        const std::string dir = outDir("several");
        const std::string path = dir + "/s.h5";
        {
            H5File f = H5File::create(path);
            f.writeTensor("/a", at::arange(10, at::kLong));
            f.commit();
        }
        H5File keep = H5File::openRead(path);
        {
            H5File other = H5File::openRead(path);
            QVERIFY(sameTensor(other.readTensor("/a"), keep.readTensor("/a")));
        } // closing one must not close the other's file
        QVERIFY(sameTensor(keep.readTensor("/a"), at::arange(10, at::kLong)));
        {
            H5File u = H5File::update(path);
            u.writeTensor("/b", at::ones({2}));
            u.commit();
        }
        // The open reader still sees the file it opened; a new one the update.
        QVERIFY(!keep.exists("/b"));
        QVERIFY(H5File::openRead(path).exists("/b"));

        // A read-only original can still be updated (it is replaced, not edited).
        fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
        {
            H5File u = H5File::update(path);
            u.writeTensor("/c", at::ones({2}));
            u.commit();
        }
        QVERIFY(H5File::openRead(path).exists("/c"));
    }

    void commitRules() {
        const std::string dir = outDir("commit");
        H5File f = H5File::create(dir + "/t.h5");
        f.writeTensor("/x", at::ones({2}));
        f.commit();
        QVERIFY(errorOf<RuntimeFailure>([&] { f.commit(); }).contains("closed"));
        QVERIFY(errorOf<RuntimeFailure>([&] { f.writeTensor("/y", at::ones({2})); }).contains("closed"));
        QVERIFY(errorOf<RuntimeFailure>([&] { f.readTensor("/x"); }).contains("closed"));

        H5File r = H5File::openRead(dir + "/t.h5");
        QString msg = errorOf<RuntimeFailure>([&] { r.writeTensor("/y", at::ones({2})); });
        QVERIFY2(msg.contains("t.h5") && msg.contains("read-only"), qPrintable(msg));
        QVERIFY(errorOf<RuntimeFailure>([&] { r.setAttribute("/", "a", 1.0); }).contains("read-only"));
        QVERIFY(errorOf<RuntimeFailure>([&] { r.createGroup("/g"); }).contains("read-only"));
        QVERIFY(errorOf<RuntimeFailure>([&] { r.commit(); }).contains("read-only"));

        // The folder disappears before commit: the rename fails, loudly.
        const std::string gone = outDir("commit/gone");
        H5File g = H5File::create(gone + "/t.h5");
        g.writeTensor("/x", at::ones({2}));
        fs::remove_all(gone);
        msg = errorOf<RuntimeFailure>([&] { g.commit(); });
        QVERIFY2(msg.contains("t.h5"), qPrintable(msg));
        QVERIFY(!fs::exists(gone));

        // Creating in a folder that does not exist.
        msg = errorOf<RuntimeFailure>([&] { H5File::create(dir + "/no/such/folder/t.h5"); });
        QVERIFY2(msg.contains("no/such/folder/t.h5") && msg.contains("cannot create"), qPrintable(msg));
    }
};

QTEST_GUILESS_MAIN(TestH5File)
#include "tst_h5file.moc"
