#include "core/io/h5fileimpl.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <optional>
#include <utility>

// H5File's tensors: writing (chunked and compressed above a size), reading, shapes.
namespace ol {

using namespace h5;

namespace {

// The HDF5 file and memory types of each dtype stored as it is (half, bfloat16 and bool are handled apart).
struct StoredType {
    at::ScalarType dtype;
    hid_t file, memory;
};
std::optional<StoredType> storedType(at::ScalarType dtype) {
    // Built per call: the H5T_* names are library globals that exist only once HDF5 is open.
    const StoredType table[] = {{at::kFloat, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT}, {at::kDouble, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE},
                                {at::kLong, H5T_STD_I64LE, H5T_NATIVE_INT64},   {at::kInt, H5T_STD_I32LE, H5T_NATIVE_INT32},
                                {at::kShort, H5T_STD_I16LE, H5T_NATIVE_INT16},  {at::kChar, H5T_STD_I8LE, H5T_NATIVE_INT8},
                                {at::kByte, H5T_STD_U8LE, H5T_NATIVE_UINT8}};
    for (const auto& e : table)
        if (e.dtype == dtype) return e;
    return std::nullopt;
}

// How a stored integer of `size` bytes reads: unsigned types LibTorch lacks widen to the next signed type.
struct IntegerRead {
    std::size_t size;
    bool isSigned;
    at::ScalarType dtype;
    hid_t memory;
};
std::optional<IntegerRead> integerRead(std::size_t size, bool isSigned) {
    const IntegerRead table[] = {{1, true, at::kChar, H5T_NATIVE_INT8},   {1, false, at::kByte, H5T_NATIVE_UINT8},
                                 {2, true, at::kShort, H5T_NATIVE_INT16}, {2, false, at::kInt, H5T_NATIVE_INT32},
                                 {4, true, at::kInt, H5T_NATIVE_INT32},   {4, false, at::kLong, H5T_NATIVE_INT64},
                                 {8, true, at::kLong, H5T_NATIVE_INT64}};
    for (const auto& e : table)
        if (e.size == size && e.isSigned == isSigned) return e;
    return std::nullopt;
}

} // namespace

void H5File::writeTensor(const std::string& path, const at::Tensor& t) {
    H5Lock lock;
    Impl& d = writableImpl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    if (!t.defined()) throw UsageError(where + ": cannot store an undefined tensor");

    at::Tensor data = t.detach();
    hid_t fileType = -1, memType = -1;
    Handle fileHalf, memHalf;
    const char* tag = nullptr;
    auto use = [&](hid_t file, hid_t mem) { fileType = file, memType = mem; };
    if (data.scalar_type() == at::kBFloat16) {
        // No HDF5 or numpy type; float32 holds every bfloat16 value exactly.
        data = data.to(at::kFloat), tag = "bfloat16";
    } else if (data.scalar_type() == at::kBool) {
        // numpy's bool is an HDF5 enum in h5py; uint8 0/1 reads everywhere.
        data = data.to(at::kByte), tag = "bool";
    }
    if (data.scalar_type() == at::kHalf) {
        fileHalf = halfType(H5T_IEEE_F32LE, Side::Write, where);
        memHalf = halfType(H5T_NATIVE_FLOAT, Side::Write, where);
        use(fileHalf.get(), memHalf.get());
    } else if (const auto stored = storedType(data.scalar_type())) {
        use(stored->file, stored->memory);
    } else {
        throw UsageError(where + ": cannot store a tensor of dtype " + std::string(c10::toString(data.scalar_type())) +
                         " in HDF5");
    }
    data = data.to(at::kCPU).contiguous();
    if (data.dim() > H5S_MAX_RANK)
        throw UsageError(where + ": HDF5 datasets have at most " + std::to_string(H5S_MAX_RANK) + " dimensions");

    d.prepareDataset(norm);
    std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
    Handle space = data.dim() == 0 ? scalarSpace(Side::Write, where) : simpleSpace(dims, Side::Write, where);
    Handle dcpl = make(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, Side::Write, where, "cannot create dataset properties");
    const std::size_t elementSize = data.element_size();
    const std::size_t bytes = static_cast<std::size_t>(data.numel()) * elementSize;
    if (bytes > kCompressAbove) {
        // Halve the leading dimensions first: whole rows stay in one chunk,
        // which suits reading a row ([T, C] tiles, per-layer tables).
        std::vector<hsize_t> chunk = dims;
        auto chunkBytes = [&] {
            std::size_t n = elementSize;
            for (hsize_t c : chunk) n *= c;
            return n;
        };
        for (std::size_t i = 0; i < chunk.size(); ++i)
            while (chunk[i] > 1 && chunkBytes() > kChunkTarget) chunk[i] = (chunk[i] + 1) / 2;
        need(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), Side::Write, where,
             "cannot set the chunk size");
        // Shuffle groups the bytes of equal significance; deflate then does
        // far better on float statistics. Both are built into every HDF5.
        need(H5Pset_shuffle(dcpl.get()), Side::Write, where, "cannot enable the shuffle filter");
        need(H5Pset_deflate(dcpl.get(), kDeflateLevel), Side::Write, where, "cannot enable compression");
    }
    Handle dataset = make(H5Dcreate2(d.file.get(), norm.c_str(), fileType, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          H5Dclose, Side::Write, where, "cannot create the dataset");
    if (data.numel() > 0)
        need(H5Dwrite(dataset.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()), Side::Write, where,
             "cannot write the dataset");
    if (tag) d.writeStringAttribute(dataset.get(), d.whereAttr(norm, kDTypeAttribute), kDTypeAttribute, tag);
}

at::Tensor H5File::readTensor(const std::string& path) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    Handle dataset = d.openDataset(norm);
    Handle type = make(H5Dget_type(dataset.get()), H5Tclose, Side::Read, where, "unreadable element type");
    const H5T_class_t cls = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());

    std::string tag;
    if (need(H5Aexists(dataset.get(), kDTypeAttribute), Side::Read, where, "cannot look up attributes") > 0) {
        const std::string whereA = d.whereAttr(norm, kDTypeAttribute);
        Handle attr =
            make(H5Aopen(dataset.get(), kDTypeAttribute, H5P_DEFAULT), H5Aclose, Side::Read, whereA, "cannot open the attribute");
        tag = d.readAttributeString(attr.get(), whereA);
    }

    at::ScalarType dtype = at::kFloat;
    hid_t memType = -1;
    Handle memHalf;
    auto unsupported = [&](const std::string& what) { return FormatError(where + ": unsupported element type (" + what + ")"); };
    auto use = [&](at::ScalarType t, hid_t mem) { dtype = t, memType = mem; };
    if (cls == H5T_INTEGER) {
        const bool isSigned = H5Tget_sign(type.get()) == H5T_SGN_2;
        const auto read = integerRead(size, isSigned);
        if (!read) throw unsupported(std::to_string(size * 8) + "-bit " + (isSigned ? "signed" : "unsigned") + " integer");
        use(read->dtype, read->memory);
    } else if (cls == H5T_FLOAT) {
        std::size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
        need(H5Tget_fields(type.get(), &spos, &epos, &esize, &mpos, &msize), Side::Read, where, "unreadable float type");
        if (size == 2 && esize == 5) {
            memHalf = halfType(H5T_NATIVE_FLOAT, Side::Read, where);
            use(at::kHalf, memHalf.get());
        } else if (size <= 4) {
            use(at::kFloat, H5T_NATIVE_FLOAT);
        } else {
            use(at::kDouble, H5T_NATIVE_DOUBLE);
        }
    } else {
        throw unsupported(className(cls));
    }
    if (tag == "bool" && !(cls == H5T_INTEGER && size == 1))
        throw FormatError(where + ": ol_dtype says bool but the data is not 8-bit integers");
    if (tag == "bfloat16" && cls != H5T_FLOAT)
        throw FormatError(where + ": ol_dtype says bfloat16 but the data is not floating point");
    if (!tag.empty() && tag != "bool" && tag != "bfloat16")
        throw FormatError(where + ": unknown ol_dtype \"" + tag + "\" (written by a newer OutlierLab?)");

    Handle space = make(H5Dget_space(dataset.get()), H5Sclose, Side::Read, where, "unreadable dataspace");
    const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
    std::vector<std::int64_t> shape;
    if (spaceClass == H5S_SIMPLE) {
        std::vector<hsize_t> dims(
            static_cast<std::size_t>(need(H5Sget_simple_extent_ndims(space.get()), Side::Read, where, "unreadable dataspace")));
        need(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), Side::Read, where, "unreadable dataspace");
        shape.assign(dims.begin(), dims.end());
    } else if (spaceClass != H5S_SCALAR) {
        throw FormatError(where + ": has no dataspace (an empty/null dataset), no tensor to read");
    }

    at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dtype));
    if (out.numel() > 0)
        need(H5Dread(dataset.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()), Side::Read, where,
             "cannot read the dataset");
    if (tag == "bool") return out != 0;
    if (tag == "bfloat16") return out.to(at::kBFloat16);
    return out;
}

std::vector<std::int64_t> H5File::datasetShape(const std::string& path) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    Handle dataset = d.openDataset(norm);
    Handle space = make(H5Dget_space(dataset.get()), H5Sclose, Side::Read, where, "unreadable dataspace");
    const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
    if (spaceClass == H5S_SCALAR) return {};
    if (spaceClass != H5S_SIMPLE) throw FormatError(where + ": has no dataspace (an empty/null dataset)");
    std::vector<hsize_t> dims(
        static_cast<std::size_t>(need(H5Sget_simple_extent_ndims(space.get()), Side::Read, where, "unreadable dataspace")));
    need(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), Side::Read, where, "unreadable dataspace");
    return {dims.begin(), dims.end()};
}

} // namespace ol
