// Bit packing of weight codes: exact round trips for every width, the byte
// layout on a hand-written 3-bit example, bad inputs, and speed on a
// LLaMA-7B MLP-sized matrix.
#include "core/errors.h"
#include "core/quant/packing.h"

#include "testutil.h"
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <QElapsedTimer>

#include <QtTest>
#include <vector>

using namespace ol;

namespace {

at::Tensor bytesOf(std::vector<int> v) { return at::tensor(v, at::kInt).to(at::kByte); }

} // namespace

class TestPacking : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTripEveryWidth() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        for (int bits : {2, 3, 4, 6, 8})
            for (std::int64_t rows : {1, 5})
                for (std::int64_t cols : {1, 7, 13, 172}) {
                    const at::Tensor codes = at::randint(0, 1 << bits, {rows, cols}, gen, at::kByte);
                    const PackedCodes p = packCodes(codes, bits);
                    const std::int64_t bpr = (cols * bits + 7) / 8;
                    QCOMPARE(packedBytesPerRow(cols, bits), bpr);
                    QVERIFY(p.bytes.scalar_type() == at::kByte);
                    QVERIFY(p.bytes.sizes() == at::IntArrayRef({rows, bpr}));
                    QCOMPARE(p.bits, bits);
                    QCOMPARE(p.rows, rows);
                    QCOMPARE(p.cols, cols);
                    QVERIFY2(at::equal(unpackCodes(p), codes), qPrintable(QString("bits %1 cols %2").arg(bits).arg(cols)));
                    // Padding bits of each row's last byte are zero.
                    const int used = int(cols * bits % 8);
                    if (used) QVERIFY(p.bytes.select(1, bpr - 1).lt(1 << used).all().item<bool>());
                }
        // A non-contiguous view packs like its contiguous copy.
        const at::Tensor big = at::randint(0, 16, {9, 10}, gen, at::kByte);
        QVERIFY(at::equal(packCodes(big.t(), 4).bytes, packCodes(big.t().contiguous(), 4).bytes));
    }

    void threeBitLayout() {
        // Row 0: codes 1,2,3,4,5,6,7,0,5 -> stream value sum(c_j << 3j) = 85940433 = 0x051F58D1,
        // 27 bits in 4 bytes, LSB first: D1 58 1F 05 (byte 0 = 0b11'010'001: code 0, code 1,
        // low two bits of code 2). Row 1: nine 7s = 27 one bits -> FF FF FF 07 (padding zero).
        const at::Tensor codes = at::tensor(std::vector<int>{1, 2, 3, 4, 5, 6, 7, 0, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7}, at::kInt)
                                     .to(at::kByte)
                                     .reshape({2, 9});
        const PackedCodes p = packCodes(codes, 3);
        QVERIFY(at::equal(p.bytes, bytesOf({0xD1, 0x58, 0x1F, 0x05, 0xFF, 0xFF, 0xFF, 0x07}).reshape({2, 4})));
        QVERIFY(at::equal(unpackCodes(p), codes));
        // 4 bits: code 0 in the low nibble.
        const PackedCodes n = packCodes(bytesOf({0x1, 0xA, 0xF}).reshape({1, 3}), 4);
        QVERIFY(at::equal(n.bytes, bytesOf({0xA1, 0x0F}).reshape({1, 2})));
    }

    void badInputs() {
        const at::Tensor ok = at::zeros({2, 4}, at::kByte);
        for (int bits : {0, 1, 5, 7, 9, 16}) testutil::expectUsageError([&] { packCodes(ok, bits); }, "bits must be one of");
        testutil::expectUsageError([&] { packedBytesPerRow(4, 5); }, "bits");
        testutil::expectUsageError([&] { packCodes(at::zeros({2, 4}, at::kLong), 4); }, "uint8");
        testutil::expectUsageError([&] { packCodes(at::zeros({8}, at::kByte), 4); }, "[rows, cols]");
        at::Tensor bad = ok.clone();
        bad[1][2] = 8; // does not fit 3 bits
        testutil::expectUsageError([&] { packCodes(bad, 3); }, "code 8 at [1, 2]");
        PackedCodes p = packCodes(ok, 4);
        p.cols = 5; // needs 3 bytes per row, has 2
        testutil::expectUsageError([&] { unpackCodes(p); }, "unpackCodes");
        p = packCodes(ok, 4);
        p.bits = 5;
        testutil::expectUsageError([&] { unpackCodes(p); }, "bits");
    }

    void fastOnLargeMatrix() {
        // 11008 x 4096 at 4 and 3 bits. The target is well under a second each way;
        // the limit is 2 s to tolerate a loaded 2-core test machine.
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        for (int bits : {4, 3}) {
            const at::Tensor codes = at::randint(0, 1 << bits, {11008, 4096}, gen, at::kByte);
            QElapsedTimer t;
            t.start();
            const PackedCodes p = packCodes(codes, bits);
            const qint64 packMs = t.restart();
            const at::Tensor back = unpackCodes(p);
            const qint64 unpackMs = t.elapsed();
            qInfo("%d bits: pack %lld ms, unpack %lld ms", bits, packMs, unpackMs);
            QVERIFY(at::equal(back, codes));
            QVERIFY(packMs < 2000 && unpackMs < 2000);
        }
    }
};

QTEST_GUILESS_MAIN(TestPacking)
#include "tst_packing.moc"
