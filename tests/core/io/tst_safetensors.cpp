// The safetensors reader and writer: round trips for every LibTorch dtype, a
// file built byte by byte, the writer's layout, streaming out of order, every
// malformed input the reader must refuse (the writer's failure modes: tst_safetensorswriter).
#include "core/errors.h"
#include "core/io/dtype.h"
#include "core/io/safetensors.h"

#include "iotestutil.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QtTest>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

using namespace ol;
using namespace iotest;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// A fresh, empty folder under the test output directory.
std::string outDir(const std::string& name) { return iotest::freshDir("safetensors", name); }

std::string le64(std::uint64_t v) {
    std::string s(8, '\0');
    for (auto& c : s) {
        c = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return s;
}

std::uint64_t readLe64(const std::string& s) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
}

// Header length, header, data: a safetensors file as bytes.
std::string stFile(const std::string& header, const std::string& data = {}) { return le64(header.size()) + header + data; }

const std::vector<DType> kTorchDTypes = {DType::BOOL, DType::U8,  DType::I8,   DType::I16, DType::I32,
                                         DType::I64,  DType::F16, DType::BF16, DType::F32, DType::F64};

// Distinct, exactly representable values for each dtype, shape [2, 3, 4].
at::Tensor sample(DType dtype) {
    const at::Tensor base = at::arange(24, at::kDouble).reshape({2, 3, 4});
    switch (dtype) {
    case DType::BOOL: return base.fmod(3).eq(0);
    case DType::U8: return (base * 11).to(at::kByte);
    case DType::I8: return (base * 5 - 60).to(at::kChar);
    case DType::I16: return (base * 1000 - 12000).to(at::kShort);
    case DType::I32: return (base * 100000 - 1000000).to(at::kInt);
    case DType::I64: {
        at::Tensor t = (base * 1e12 - 5e12).to(at::kLong);
        t.view(-1)[0].fill_(std::numeric_limits<int64_t>::max()); // beyond double precision
        return t;
    }
    case DType::F16: return ((base - 11.5) * 0.25).to(at::kHalf);
    case DType::BF16: return ((base - 11.5) * 0.25).to(at::kBFloat16);
    case DType::F32: return at::randn({2, 3, 4}, at::kFloat);
    case DType::F64: return at::randn({2, 3, 4}, at::kDouble);
    default: break;
    }
    return {};
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dtypeTable() {
        const std::vector<std::pair<DType, std::pair<const char*, std::size_t>>> expected = {
            {DType::BOOL, {"BOOL", 1}}, {DType::U8, {"U8", 1}},   {DType::I8, {"I8", 1}},     {DType::I16, {"I16", 2}},
            {DType::U16, {"U16", 2}},   {DType::I32, {"I32", 4}}, {DType::U32, {"U32", 4}},   {DType::I64, {"I64", 8}},
            {DType::U64, {"U64", 8}},   {DType::F16, {"F16", 2}}, {DType::BF16, {"BF16", 2}}, {DType::F32, {"F32", 4}},
            {DType::F64, {"F64", 8}}};
        for (const auto& [dtype, row] : expected) {
            QCOMPARE(dtypeName(dtype), std::string(row.first));
            QCOMPARE(dtypeSize(dtype), row.second);
            QVERIFY(parseDType(row.first) == dtype);
        }
        QCOMPARE(errorOf<FormatError>([] { parseDType("F8_E4M3"); }), QStringLiteral("unknown dtype 'F8_E4M3'"));
        QVERIFY(errorOf<FormatError>([] { parseDType("f32"); }).contains("'f32'")); // case matters

        for (DType d : kTorchDTypes) {
            QVERIFY(fromScalarType(toScalarType(d)) == d);
            QCOMPARE(c10::elementSize(toScalarType(d)), dtypeSize(d));
        }
        QVERIFY(toScalarType(DType::BF16) == at::kBFloat16);
        QVERIFY(toScalarType(DType::I8) == at::kChar);
        QVERIFY(toScalarType(DType::U8) == at::kByte);
        for (DType d : {DType::U16, DType::U32, DType::U64})
            QVERIFY(errorOf<FormatError>([d] { toScalarType(d); }).contains(QString::fromStdString(dtypeName(d))));
        QVERIFY(errorOf<UsageError>([] { fromScalarType(at::kComplexFloat); }).contains("ComplexFloat"));
    }

    void roundTripAllDtypes() {
        const std::string path = outDir("roundtrip") + "/all.safetensors";
        std::vector<std::pair<std::string, at::Tensor>> tensors;
        for (DType d : kTorchDTypes) {
            const std::string n = dtypeName(d);
            const at::Tensor full = sample(d);
            QVERIFY(fromScalarType(full.scalar_type()) == d);
            tensors.emplace_back(n + ".full", full);
            tensors.emplace_back(n + ".scalar", full.view(-1)[5].clone()); // 0-dim
            tensors.emplace_back(n + ".empty", at::empty({0, 5}, full.options()));
        }
        saveSafetensors(path, tensors);

        SafetensorsReader reader(path);
        QCOMPARE(reader.path(), path);
        QCOMPARE(reader.entries().size(), tensors.size());
        QVERIFY(reader.metadata().empty());
        for (const auto& [name, expected] : tensors) {
            const TensorEntry* e = reader.find(name);
            QVERIFY2(e, name.c_str());
            QCOMPARE(e->name, name);
            QVERIFY(toScalarType(e->dtype) == expected.scalar_type());
            QCOMPARE(e->shape, expected.sizes().vec());
            QCOMPARE(e->numel(), expected.numel());
            QCOMPARE(e->end - e->begin, static_cast<std::uint64_t>(expected.nbytes()));
            QCOMPARE(reader.rawBytes(*e).size(), static_cast<std::size_t>(expected.nbytes()));

            const at::Tensor got = reader.load(name);
            QVERIFY(got.device().is_cpu());
            QVERIFY(got.is_contiguous());
            QVERIFY2(sameTensor(got, expected), name.c_str());
            QVERIFY(sameTensor(reader.load(*e), expected));
        }
        QCOMPARE(reader.find("BOOL.scalar")->shape, std::vector<int64_t>{});
        QCOMPARE(reader.find("BOOL.scalar")->numel(), int64_t(1));
        QCOMPARE(reader.find("F32.empty")->numel(), int64_t(0));
        QCOMPARE(reader.load("I64.full").view(-1)[0].item<int64_t>(), std::numeric_limits<int64_t>::max());
        QCOMPARE(reader.load("BF16.full").view(-1)[1].item<float>(), -2.625f);
        QCOMPARE(reader.load("I8.scalar").item<int64_t>(), int64_t(-35));
        QCOMPARE(reader.load("BOOL.full").sum().item<int64_t>(), int64_t(8));

        // entries() is sorted by offset.
        for (std::size_t i = 1; i < reader.entries().size(); ++i)
            QVERIFY(reader.entries()[i - 1].end <= reader.entries()[i].begin);
    }

    void handBuiltFile() {
        const std::string path = outDir("handbuilt") + "/hand.safetensors";
        // Keys out of offset order, metadata last, padding spaces at the end.
        const std::string header = R"({"b":{"dtype":"I16","shape":[3],"data_offsets":[8,14]},)"
                                   R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("s":{"dtype":"F64","shape":[],"data_offsets":[14,22]},)"
                                   R"("__metadata__":{"format":"pt","note":"hand made"}}   )";
        const std::string data = "\x00\x00\xc0\x3f"s                  // 1.5f
                                 "\x00\x00\x00\xc0"s                  // -2.0f
                                 "\x01\x00\xfe\xff\x2c\x01"s          // 1, -2, 300 as int16
                                 "\x00\x00\x00\x00\x00\x00\x24\x40"s; // 10.0
        QCOMPARE(data.size(), std::size_t(22));
        writeBytes(path, stFile(header, data));

        SafetensorsReader reader(path);
        const auto& entries = reader.entries();
        QCOMPARE(entries.size(), std::size_t(3));
        QCOMPARE(entries[0].name, std::string("a"));
        QCOMPARE(entries[1].name, std::string("b"));
        QCOMPARE(entries[2].name, std::string("s"));
        QVERIFY(entries[0].dtype == DType::F32);
        QCOMPARE(entries[0].shape, std::vector<int64_t>{2});
        QCOMPARE(entries[0].begin, std::uint64_t(0));
        QCOMPARE(entries[0].end, std::uint64_t(8));
        QVERIFY(entries[1].dtype == DType::I16);
        QCOMPARE(entries[1].begin, std::uint64_t(8));
        QCOMPARE(entries[1].end, std::uint64_t(14));
        QCOMPARE(entries[2].shape, std::vector<int64_t>{});
        QCOMPARE(reader.find("b"), &entries[1]);
        QCOMPARE(reader.find("zz"), nullptr);
        QCOMPARE(reader.find("__metadata__"), nullptr);

        const at::Tensor a = reader.load("a");
        QCOMPARE(a.scalar_type(), at::kFloat);
        QCOMPARE(a[0].item<float>(), 1.5f);
        QCOMPARE(a[1].item<float>(), -2.0f);
        const at::Tensor b = reader.load(std::string_view("b"));
        QCOMPARE(b.scalar_type(), at::kShort);
        QCOMPARE(b.sizes().vec(), std::vector<int64_t>{3});
        QCOMPARE(b[0].item<int>(), 1);
        QCOMPARE(b[1].item<int>(), -2);
        QCOMPARE(b[2].item<int>(), 300);
        const at::Tensor s = reader.load("s");
        QCOMPARE(s.dim(), int64_t(0));
        QCOMPARE(s.item<double>(), 10.0);

        const auto raw = reader.rawBytes(entries[1]);
        QCOMPARE(raw.size(), std::size_t(6));
        QCOMPARE(std::memcmp(raw.data(), data.data() + 8, 6), 0);

        const std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "hand made"}};
        QCOMPARE(reader.metadata(), meta);
    }

    void validEdgeCases() {
        const std::string dir = outDir("edge");
        // No tensors at all.
        writeBytes(dir + "/none.safetensors", stFile("{}      "));
        QVERIFY(SafetensorsReader(dir + "/none.safetensors").entries().empty());
        // Only an empty tensor: no data buffer.
        writeBytes(dir + "/empty.safetensors", stFile(R"({"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}})"));
        SafetensorsReader empty(dir + "/empty.safetensors");
        QCOMPARE(empty.load("e").sizes().vec(), (std::vector<int64_t>{0, 3}));
        // Empty tensors between and at the same offset as others are no hole/overlap.
        writeBytes(dir + "/mixed.safetensors", stFile(R"({"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                                      R"("e":{"dtype":"I32","shape":[0],"data_offsets":[2,2]},)"
                                                      R"("y":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}})",
                                                      "\x07\x08\x09"s));
        SafetensorsReader mixed(dir + "/mixed.safetensors");
        QCOMPARE(mixed.entries().size(), std::size_t(3));
        QCOMPARE(mixed.entries()[1].name, std::string("e"));
        QCOMPARE(mixed.load("y")[0].item<int>(), 9);
    }

    void metadataRoundTrip() {
        const std::string dir = outDir("metadata");
        const std::map<std::string, std::string> meta{
            {"format", "pt"}, {"quotes", "say \"hi\"\n\\"}, {"unicode", "größe ✓"}, {"empty", ""}};
        saveSafetensors(dir + "/m.safetensors", {{"w", at::ones({2, 2})}}, meta);
        SafetensorsReader reader(dir + "/m.safetensors");
        QCOMPARE(reader.metadata(), meta);
        QCOMPARE(reader.entries().size(), std::size_t(1)); // metadata is not a tensor

        // Without metadata the header has no __metadata__ key at all.
        saveSafetensors(dir + "/plain.safetensors", {{"w", at::ones({2})}});
        const std::string bytes = readBytes(dir + "/plain.safetensors");
        const std::string header = bytes.substr(8, readLe64(bytes));
        QVERIFY(header.find("__metadata__") == std::string::npos);
        QVERIFY(SafetensorsReader(dir + "/plain.safetensors").metadata().empty());
    }

    void writerLayout() {
        const std::string path = outDir("layout") + "/layout.safetensors";
        // Odd byte sizes, names not in alphabetical order.
        const std::vector<std::pair<std::string, at::Tensor>> tensors = {{"z", at::arange(3, at::kByte)},
                                                                         {"a", at::ones({2, 2}, at::kFloat)},
                                                                         {"m", at::arange(5, at::kChar)},
                                                                         {"d", at::ones({3}, at::kDouble)}};
        saveSafetensors(path, tensors, {{"k", "v"}});

        const std::string bytes = readBytes(path);
        QVERIFY(bytes.size() >= 8);
        const std::uint64_t n = readLe64(bytes);
        QVERIFY(8 + n <= bytes.size());
        QCOMPARE((8 + n) % 8, std::uint64_t(0));
        const std::string header = bytes.substr(8, n);
        QVERIFY(header.front() == '{');
        // Only spaces pad the JSON text.
        const std::size_t last = header.find_last_not_of(' ');
        QVERIFY(last != std::string::npos && header[last] == '}');
        QVERIFY(n - (last + 1) < 8);
        QVERIFY(nlohmann::json::accept(header));
        const auto json = nlohmann::json::parse(header);
        QVERIFY(json.is_object());
        QCOMPARE(json["__metadata__"]["k"].get<std::string>(), std::string("v"));

        // Declaration order, contiguous, covering the whole data buffer.
        std::uint64_t cursor = 0;
        for (const auto& [name, t] : tensors) {
            const auto& e = json.at(name);
            QCOMPARE(e["dtype"].get<std::string>(), dtypeName(fromScalarType(t.scalar_type())));
            QCOMPARE(e["shape"].get<std::vector<int64_t>>(), t.sizes().vec());
            const auto offsets = e["data_offsets"].get<std::vector<std::uint64_t>>();
            QCOMPARE(offsets.size(), std::size_t(2));
            QCOMPARE(offsets[0], cursor);
            QCOMPARE(offsets[1] - offsets[0], static_cast<std::uint64_t>(t.nbytes()));
            cursor = offsets[1];
        }
        QCOMPARE(cursor, bytes.size() - 8 - n);
        // The bytes sit where the header says.
        const auto zOffsets = json["z"]["data_offsets"].get<std::vector<std::uint64_t>>();
        QCOMPARE(bytes.substr(8 + n + zOffsets[0], 3), "\x00\x01\x02"s);
    }

    void streamingOutOfOrder() {
        const std::string dir = outDir("streaming");
        const std::string path = dir + "/s.safetensors";
        const at::Tensor big = at::randn({64, 33});
        const at::Tensor transposed = at::arange(12, at::kInt).reshape({3, 4}).t(); // not contiguous
        const at::Tensor sliced = at::arange(20, at::kShort).slice(0, 5, 15);       // storage offset
        const at::Tensor negView = at::_neg_view(at::arange(1, 5, at::kFloat));     // lazy negation bit
        {
            SafetensorsWriter w(path, {{"order", "reverse"}});
            QCOMPARE(w.path(), path);
            w.declare("first", DType::F32, {64, 33});
            w.declare("second", DType::I32, {4, 3});
            w.declare("third", DType::I16, {10});
            w.declare("fourth", DType::F32, {4});
            w.write("fourth", negView);
            w.write("third", sliced);
            w.write("second", transposed);
            QVERIFY(!fs::exists(path)); // nothing visible before commit
            w.write("first", big);
            w.commit();
        }
        SafetensorsReader r(path);
        QCOMPARE(r.entries().front().name, std::string("first")); // laid out in declaration order
        QCOMPARE(r.entries().back().name, std::string("fourth"));
        QVERIFY(sameTensor(r.load("first"), big));
        QVERIFY(sameTensor(r.load("second"), transposed.contiguous()));
        QCOMPARE(r.load("second")[0][1].item<int>(), 4);
        QVERIFY(sameTensor(r.load("third"), at::arange(5, 15, at::kShort)));
        QVERIFY(sameTensor(r.load("fourth"), -at::arange(1, 5, at::kFloat)));
        QCOMPARE(r.metadata().at("order"), std::string("reverse"));
        QCOMPARE(filesIn(dir), std::vector<std::string>{"s.safetensors"}); // temp file renamed away
    }

    void badInput_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("tensor");   // must be named in the message, unless empty
        QTest::addColumn<QString>("fragment"); // what is wrong

        auto row = [](const char* tag, const std::string& bytes, const char* tensor, const char* fragment) {
            QTest::newRow(tag) << QByteArray::fromStdString(bytes) << QString(tensor) << QString::fromUtf8(fragment);
        };
        const std::string f4(4, '\0'), f8(8, '\0'), f12(12, '\0');

        row("empty file", "", "", "shorter than the 8-byte header length");
        row("short file", "\x05\x00\x00"s, "", "shorter than the 8-byte header length");
        row("zero header length", le64(0) + "{}", "", "header length is 0");
        row("huge header length", le64(200'000'000) + "{}", "", "exceeds the limit");
        row("header past end", le64(100) + "{}", "", "runs past the end of the file");
        row("invalid json", stFile(R"({"a": )"), "", "not valid JSON");
        row("invalid utf8", stFile("{\"\xff\":1}"), "", "not valid JSON");
        row("not an object", stFile("[1, 2]"), "", "not a JSON object");
        row("entry not object", stFile(R"({"w": 3})"), "w", "is not a JSON object");
        row("missing dtype", stFile(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", f4), "w", "has no dtype");
        row("missing shape", stFile(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", f4), "w", "has no shape");
        row("missing offsets", stFile(R"({"w":{"dtype":"F32","shape":[1]}})", f4), "w", "has no data_offsets");
        row("dtype not string", stFile(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", f4), "w",
            "dtype is not a string");
        row("shape not array", stFile(R"({"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})", f4), "w",
            "shape is not an array");
        row("shape of floats", stFile(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", f4), "w",
            "other than integers");
        row("offsets not array", stFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":"0-4"}})", f4), "w",
            "not two non-negative integers");
        row("three offsets", stFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", f4), "w",
            "not two non-negative integers");
        row("negative offset", stFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", f4), "w",
            "not two non-negative integers");
        row("unknown dtype", stFile(R"({"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", f4), "w",
            "unknown dtype 'F8_E4M3'");
        row("negative dim", stFile(R"({"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]}})", f4), "w", "negative dim -1");
        row("dim too large", stFile(R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,4]}})", f4), "w",
            "too large");
        row("begin after end", stFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", f8), "w",
            "[8, 4] end before they begin");
        row("size mismatch", stFile(R"({"w":{"dtype":"F32","shape":[4,8],"data_offsets":[0,96]}})", std::string(96, 'x')), "w",
            "data_offsets [0, 96] do not match its shape [4, 8] and dtype F32 (128 bytes)");
        row("numel overflow",
            stFile(R"({"w":{"dtype":"I8","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})"), "w",
            "overflows 64 bits");
        row("bytes overflow", stFile(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})"), "w",
            "overflows 64 bits");
        row("end past buffer", stFile(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", f4), "w",
            "run past the data buffer (4 bytes)");
        row("overlap",
            stFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                   R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                   f12),
            "b", "overlap tensor 'a' [0, 8]");
        row("same offsets",
            stFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
                   f4),
            "b", "overlap tensor 'a'");
        row("hole",
            stFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                   f12),
            "b", "leaving bytes [4, 8] of the data buffer unindexed");
        row("leading hole", stFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f8), "a", "leaving bytes [0, 4]");
        row("trailing bytes", stFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f8), "",
            "bytes [4, 8] at the end of the data buffer belong to no tensor (the last tensor, 'a', ends at 4)");
        row("data without tensors", stFile("{}", f4), "", "bytes [0, 4] at the end of the data buffer belong to no tensor");
        row("metadata not object", stFile(R"({"__metadata__":[1]})"), "", "__metadata__ is not a JSON object");
        row("metadata value not string", stFile(R"({"__metadata__":{"k":1}})"), "", "__metadata__ value of 'k'");
        row("duplicate name",
            stFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                   f4),
            "a", "more than once");
    }

    void badInput() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, tensor);
        QFETCH(QString, fragment);
        const std::string path = outDir("bad") + "/bad.safetensors";
        writeBytes(path, bytes.toStdString());
        const QString message = errorOf<FormatError>([&] { SafetensorsReader reader(path); });
        QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
        if (!tensor.isEmpty()) QVERIFY2(message.contains("tensor '" + tensor + "'"), qPrintable(message));
        QVERIFY2(message.contains(fragment), qPrintable(message));
    }

    void missingFile() {
        const std::string path = outDir("missing") + "/nope.safetensors";
        QVERIFY(errorOf<FormatError>([&] { SafetensorsReader r(path); }).contains(QString::fromStdString(path)));
    }

    void loadErrors() {
        const std::string dir = outDir("loaderrors");
        const std::string path = dir + "/u16.safetensors";
        writeBytes(path, stFile(R"({"u":{"dtype":"U16","shape":[2],"data_offsets":[0,4]},)"
                                R"("flag":{"dtype":"BOOL","shape":[2],"data_offsets":[4,6]}})",
                                "\x01\x00\xff\xff\x01\x02"s));
        SafetensorsReader r(path);
        const QString p = QString::fromStdString(path);

        QString message = errorOf<FormatError>([&] { r.load("absent"); });
        QVERIFY2(message.contains(p) && message.contains("'absent'"), qPrintable(message));

        // Listed and readable as bytes, but LibTorch 1.13 has no uint16.
        QVERIFY(r.find("u")->dtype == DType::U16);
        QCOMPARE(r.rawBytes(*r.find("u")).size(), std::size_t(4));
        message = errorOf<FormatError>([&] { r.load("u"); });
        QVERIFY2(message.contains(p) && message.contains("'u'") && message.contains("U16"), qPrintable(message));

        message = errorOf<FormatError>([&] { r.load("flag"); });
        QVERIFY2(message.contains(p) && message.contains("'flag'") && message.contains("BOOL"), qPrintable(message));
    }

    void loadOwnsCopy() {
        const std::string path = outDir("owns") + "/o.safetensors";
        saveSafetensors(path, {{"w", at::arange(6, at::kFloat)}});
        at::Tensor t;
        {
            SafetensorsReader r(path);
            t = r.load("w");
            t.add_(1); // the mapping is read-only: this would crash on a view of it
            QVERIFY(sameTensor(r.load("w"), at::arange(6, at::kFloat)));
        }
        QVERIFY(sameTensor(t, at::arange(1, 7, at::kFloat))); // still valid after unmapping
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
