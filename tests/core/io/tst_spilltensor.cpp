// Spilled activations: a float32 tensor in an unlinked temporary file that
// reads and writes like one in RAM, keeps its values when its pages are
// released, and fails with a message naming the directory when it cannot be made.
#include "core/errors.h"
#include "core/io/spilltensor.h"

#include <ATen/ATen.h>
#include <QTemporaryDir>
#include <QtTest>

using namespace ol;

class TestSpillTensor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void policyDecidesBySize() {
        SpillPolicy p;
        p.budgetBytes = 1000;
        QVERIFY(!p.spills(1000));
        QVERIFY(p.spills(1001));
        p.mode = SpillMode::Never;
        QVERIFY(!p.spills(1ll << 40));
        p.mode = SpillMode::Always;
        QVERIFY(p.spills(1));
        QCOMPARE(parseSpillMode("always", "--spill"), SpillMode::Always);
        try {
            parseSpillMode("sometimes", "--spill");
            QFAIL("expected an error");
        } catch (const UsageError& e) {
            QVERIFY2(QString(e.what()).contains("--spill sometimes: expected auto, always or never"), e.what());
        }
    }

    void spilledTensorKeepsItsValuesWhenReleased() {
        QTemporaryDir dir;
        SpillPolicy p;
        p.mode = SpillMode::Always;
        p.directory = dir.path().toStdString();
        auto t = allocateActivations({6, 1024, 64}, at::kFloat, p); // 6 windows of 256 KiB
        QVERIFY(isSpilled(t));
        QVERIFY(!isSpilled(at::zeros({4})));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0); // O_TMPFILE: no name
        const auto values = at::randn({6, 1024, 64});
        for (int w = 0; w < 6; ++w) {
            t.narrow(0, w, 1).copy_(values.narrow(0, w, 1));
            releaseResident(t.narrow(0, w, 1));
        }
        QVERIFY(t.equal(values)); // read back from the file after every page was dropped
        QVERIFY(t.mean(0).equal(values.mean(0)));
        p.mode = SpillMode::Never;
        QVERIFY(!isSpilled(allocateActivations({2, 2}, at::kFloat, p)));
    }

    void unwritableDirectoryIsNamed() {
        SpillPolicy p;
        p.mode = SpillMode::Always;
        p.directory = "/proc";
        try {
            allocateActivations({1024, 1024}, at::kFloat, p);
            QFAIL("expected an error");
        } catch (const RuntimeFailure& e) {
            QVERIFY2(QString(e.what()).contains("/proc: cannot create a spill file") && QString(e.what()).contains("`spill_dir`"),
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSpillTensor)
#include "tst_spilltensor.moc"
