#include "io/h5file.h"

#include "errors.h"
#include "io/atomicfile.h"
#include "io/h5support.h"

#include <ATen/ATen.h>
#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <utility>

namespace ol {

using namespace h5;

namespace {

namespace fs = std::filesystem;

// Data above this size is chunked and compressed; below it the chunk index and
// filter pipeline cost more than they save.
constexpr std::size_t kCompressAbove = 64 * 1024;
// Chunks stay within HDF5's default 1 MiB chunk cache, so that reading one
// row of a big dataset decompresses each chunk once.
constexpr std::size_t kChunkTarget = 1024 * 1024;
constexpr unsigned kDeflateLevel = 4;
// Marks datasets whose HDF5 type does not say the LibTorch dtype by itself.
const char* const kDTypeAttribute = "ol_dtype";

enum class Kind { Missing, Group, Dataset, Other };

} // namespace

struct H5File::Impl {
    std::string path;                   // the user's path, for messages
    std::unique_ptr<AtomicFile> atomic; // null when opened read-only
    Handle file;

    ~Impl() {
        // The file must be closed before the temporary file is removed.
        H5Lock lock;
        file.reset();
        atomic.reset();
    }

    std::string where(const std::string& objectPath) const { return path + ": " + objectPath; }
    std::string whereAttr(const std::string& objectPath, const std::string& name) const {
        return where(objectPath) + ": attribute " + quoted(name);
    }

    // What `normPath` names. Walks it one link at a time, because HDF5 fails
    // (rather than answering false) when an intermediate group is missing.
    Kind kind(const std::string& normPath) const {
        const auto parts = components(normPath);
        if (parts.empty())
            return Kind::Group;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string prefix = joinPath(parts, i + 1);
            // <= 0: absent, a dangling soft link, or a name HDF5 cannot look up.
            if (H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0 ||
                H5Oexists_by_name(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0)
                return Kind::Missing;
            Handle object(H5Oopen(file.get(), prefix.c_str(), H5P_DEFAULT), H5Oclose);
            if (object.get() < 0)
                return Kind::Missing;
            const H5I_type_t type = H5Iget_type(object.get());
            if (i + 1 < parts.size()) {
                if (type != H5I_GROUP)
                    return Kind::Missing;
            } else {
                return type == H5I_GROUP ? Kind::Group : type == H5I_DATASET ? Kind::Dataset : Kind::Other;
            }
        }
        return Kind::Missing;
    }

    Handle openGroup(const std::string& normPath) const {
        const Kind k = kind(normPath);
        if (k == Kind::Missing)
            throw FormatError(where(normPath) + ": no such group");
        if (k != Kind::Group)
            throw FormatError(where(normPath) + ": is a dataset, not a group");
        return make(H5Gopen2(file.get(), normPath.c_str(), H5P_DEFAULT), H5Gclose, Side::Read,
                    where(normPath), "cannot open the group");
    }

    Handle openDataset(const std::string& normPath) const {
        const Kind k = kind(normPath);
        if (k == Kind::Missing)
            throw FormatError(where(normPath) + ": no such dataset");
        if (k != Kind::Dataset)
            throw FormatError(where(normPath) + ": is " + (k == Kind::Group ? "a group" : "a named type") +
                              ", not a dataset");
        return make(H5Dopen2(file.get(), normPath.c_str(), H5P_DEFAULT), H5Dclose, Side::Read,
                    where(normPath), "cannot open the dataset");
    }

    Handle openObject(const std::string& normPath) const {
        const Kind k = kind(normPath);
        if (k != Kind::Group && k != Kind::Dataset)
            throw FormatError(where(normPath) + ": no such group or dataset");
        return make(H5Oopen(file.get(), normPath.c_str(), H5P_DEFAULT), H5Oclose, Side::Read, where(normPath),
                    "cannot open the object");
    }

    void createGroup(const std::string& normPath) {
        const auto parts = components(normPath);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string prefix = joinPath(parts, i + 1);
            const Kind k = kind(prefix);
            if (k == Kind::Group)
                continue;
            if (k != Kind::Missing)
                throw RuntimeFailure(where(prefix) +
                                     ": exists and is not a group, cannot create a group there");
            make(H5Gcreate2(file.get(), prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                 Side::Write, where(prefix), "cannot create the group");
        }
    }

    // Makes room for a new dataset at `normPath`: parent groups created, an
    // old dataset unlinked. A group is never removed to make room: that would
    // silently drop everything under it.
    void prepareDataset(const std::string& normPath) {
        const auto parts = components(normPath);
        if (parts.empty())
            throw UsageError(path + ": a dataset needs a name; \"/\" is the root group");
        createGroup(joinPath(parts, parts.size() - 1));
        const Kind k = kind(normPath);
        if (k == Kind::Group)
            throw RuntimeFailure(where(normPath) + ": is a group, not replacing it with a dataset");
        if (H5Lexists(file.get(), normPath.c_str(), H5P_DEFAULT) > 0)
            need(H5Ldelete(file.get(), normPath.c_str(), H5P_DEFAULT), Side::Write, where(normPath),
                 "cannot remove the old dataset");
    }

    // Creates or replaces attribute `name` of the open object `object`.
    void writeAttribute(hid_t object, const std::string& whereAttr, const std::string& name, hid_t fileType,
                        hid_t memType, hid_t space, const void* data) {
        if (name.empty())
            throw UsageError(whereAttr + ": an attribute needs a name");
        if (need(H5Aexists(object, name.c_str()), Side::Write, whereAttr, "cannot look up the attribute") > 0)
            need(H5Adelete(object, name.c_str()), Side::Write, whereAttr, "cannot remove the old attribute");
        Handle attr = make(H5Acreate2(object, name.c_str(), fileType, space, H5P_DEFAULT, H5P_DEFAULT),
                           H5Aclose, Side::Write, whereAttr, "cannot create the attribute");
        if (need(H5Sget_simple_extent_npoints(space), Side::Write, whereAttr, "bad dataspace") > 0)
            need(H5Awrite(attr.get(), memType, data), Side::Write, whereAttr, "cannot write the attribute");
    }

    void setAttribute(const std::string& objectPath, const std::string& name, hid_t fileType, hid_t memType,
                      hid_t space, const void* data) {
        const std::string norm = normalize(objectPath);
        Handle object = openObject(norm);
        writeAttribute(object.get(), whereAttr(norm, name), name, fileType, memType, space, data);
    }

    void writeStringAttribute(hid_t object, const std::string& whereAttr, const std::string& name,
                              const std::string& value) {
        if (value.find('\0') != std::string::npos)
            throw UsageError(whereAttr + ": HDF5 strings cannot hold NUL bytes");
        Handle type = utf8StringType(Side::Write, whereAttr);
        Handle space = scalarSpace(Side::Write, whereAttr);
        const char* text = value.c_str();
        writeAttribute(object, whereAttr, name, type.get(), type.get(), space.get(), &text);
    }

    Handle openAttribute(const std::string& normPath, const std::string& name) const {
        Handle object = openObject(normPath);
        const std::string whereA = whereAttr(normPath, name);
        if (need(H5Aexists(object.get(), name.c_str()), Side::Read, whereA, "cannot look up the attribute") <=
            0)
            throw FormatError(whereA + ": no such attribute");
        return make(H5Aopen(object.get(), name.c_str(), H5P_DEFAULT), H5Aclose, Side::Read, whereA,
                    "cannot open the attribute");
    }

    std::string readAttributeString(hid_t attr, const std::string& whereA) const {
        Handle type = make(H5Aget_type(attr), H5Tclose, Side::Read, whereA, "unreadable attribute type");
        Handle space =
            make(H5Aget_space(attr), H5Sclose, Side::Read, whereA, "unreadable attribute dataspace");
        return readStringValue(
            type.get(), space.get(), [&](hid_t mem, void* buf) { return H5Aread(attr, mem, buf); }, whereA);
    }
};

H5File::H5File(std::string path, std::unique_ptr<Impl> impl)
    : m_path(std::move(path)), m_d(std::move(impl)) {}
H5File::H5File(H5File&& other) noexcept = default;
H5File& H5File::operator=(H5File&& other) noexcept = default;
H5File::~H5File() = default;

H5File::Impl& H5File::impl() const {
    if (!m_d)
        throw RuntimeFailure((m_path.empty() ? std::string("H5File") : m_path) +
                             ": the HDF5 file is closed (committed or moved from)");
    return *m_d;
}

H5File::Impl& H5File::writableImpl() const {
    Impl& d = impl();
    if (!d.atomic)
        throw RuntimeFailure(m_path + ": the HDF5 file is open read-only");
    return d;
}

namespace {

// FormatError unless `path` is an existing HDF5 file.
void requireHdf5File(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status))
        throw FormatError(path + ": no such file");
    if (fs::is_directory(status))
        throw FormatError(path + ": is a folder, not an HDF5 file");
    if (!fs::is_regular_file(status)) // a FIFO would block in H5Fis_hdf5
        throw FormatError(path + ": is not a regular file, not an HDF5 file");
    const htri_t isHdf5 = H5Fis_hdf5(path.c_str());
    if (isHdf5 < 0)
        fail(Side::Read, path + ": cannot read the file");
    if (isHdf5 == 0)
        throw FormatError(path + ": not an HDF5 file");
}

// CLOSE_STRONG: H5Fclose closes every object still open in the file, so the
// file is complete on disk before commit() renames it.
Handle accessProperties(const std::string& path, Side side, bool forWriting, bool newFile) {
    Handle fapl =
        make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, side, path, "cannot create file access properties");
    need(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), side, path, "cannot set the close degree");
    // The 1.8 object formats at least: they store attributes over 64 KiB (a
    // long summary or list of files), which the 1.6 formats HDF5 picks by
    // default cannot, and every HDF5 since 1.8 (2008) reads them. New files
    // stay at 1.8 for older readers; an updated file may already be newer.
    if (forWriting)
        need(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, newFile ? H5F_LIBVER_V18 : H5F_LIBVER_LATEST),
             side, path, "cannot set the format version bounds");
    return fapl;
}

} // namespace

H5File H5File::openRead(const std::string& path) {
    H5Lock lock;
    requireHdf5File(path);
    auto d = std::make_unique<Impl>();
    d->path = path;
    Handle fapl = accessProperties(path, Side::Read, false, false);
    d->file = make(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, Side::Read, path,
                   "cannot open the HDF5 file");
    return H5File(path, std::move(d));
}

H5File H5File::create(const std::string& path) {
    H5Lock lock;
    auto d = std::make_unique<Impl>();
    d->path = path;
    d->atomic = std::make_unique<AtomicFile>(path);
    Handle fapl = accessProperties(path, Side::Write, true, true);
    d->file = make(H5Fcreate(d->atomic->tempPath().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                   Side::Write, path, "cannot create the HDF5 file");
    return H5File(path, std::move(d));
}

H5File H5File::update(const std::string& path) {
    H5Lock lock;
    requireHdf5File(path);
    auto d = std::make_unique<Impl>();
    d->path = path;
    d->atomic = std::make_unique<AtomicFile>(path);
    std::error_code ec;
    fs::copy_file(path, d->atomic->tempPath(), fs::copy_options::overwrite_existing, ec);
    if (ec)
        throw RuntimeFailure(path + ": cannot copy the file for updating: " + ec.message());
    // The copy has the original's permissions; a read-only original must
    // still be editable (rename replaces it regardless, as any save would).
    fs::permissions(d->atomic->tempPath(), fs::perms::owner_write, fs::perm_options::add, ec);
    Handle fapl = accessProperties(path, Side::Write, true, false);
    d->file = make(H5Fopen(d->atomic->tempPath().c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, Side::Write,
                   path, "cannot open the copy of the HDF5 file for writing");
    return H5File(path, std::move(d));
}

void H5File::commit() {
    H5Lock lock;
    Impl& d = writableImpl();
    if (d.file.close() < 0) {
        const std::string detail = h5Detail();
        m_d.reset(); // removes the temporary file
        throw RuntimeFailure(m_path + ": cannot finish writing the HDF5 file" +
                             (detail.empty() ? "" : " (" + detail + ")"));
    }
    try {
        d.atomic->commit();
    } catch (...) {
        m_d.reset();
        throw;
    }
    m_d.reset();
}

bool H5File::exists(const std::string& objectPath) const {
    H5Lock lock;
    const Kind k = impl().kind(normalize(objectPath));
    return k == Kind::Group || k == Kind::Dataset;
}

std::vector<std::string> H5File::children(const std::string& groupPath) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(groupPath);
    Handle group = d.openGroup(norm);
    std::vector<std::string> names;
    need(H5Literate(
             group.get(), H5_INDEX_NAME, H5_ITER_NATIVE, nullptr,
             [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                 static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                 return 0;
             },
             &names),
         Side::Read, d.where(norm), "cannot list the group");
    // The name index's order is HDF5's business; callers get plain byte order.
    std::sort(names.begin(), names.end());
    return names;
}

void H5File::createGroup(const std::string& path) {
    H5Lock lock;
    writableImpl().createGroup(normalize(path));
}

void H5File::writeTensor(const std::string& path, const at::Tensor& t) {
    H5Lock lock;
    Impl& d = writableImpl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    if (!t.defined())
        throw UsageError(where + ": cannot store an undefined tensor");

    at::Tensor data = t.detach();
    hid_t fileType = -1, memType = -1;
    Handle fileHalf, memHalf;
    const char* tag = nullptr;
    auto use = [&](hid_t file, hid_t mem) { fileType = file, memType = mem; };
    switch (data.scalar_type()) {
    case at::kFloat:
        use(H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
        break;
    case at::kDouble:
        use(H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
        break;
    case at::kHalf:
        fileHalf = halfType(H5T_IEEE_F32LE, Side::Write, where);
        memHalf = halfType(H5T_NATIVE_FLOAT, Side::Write, where);
        use(fileHalf.get(), memHalf.get());
        break;
    case at::kBFloat16:
        // No HDF5 or numpy type; float32 holds every bfloat16 value exactly.
        data = data.to(at::kFloat);
        use(H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
        tag = "bfloat16";
        break;
    case at::kLong:
        use(H5T_STD_I64LE, H5T_NATIVE_INT64);
        break;
    case at::kInt:
        use(H5T_STD_I32LE, H5T_NATIVE_INT32);
        break;
    case at::kShort:
        use(H5T_STD_I16LE, H5T_NATIVE_INT16);
        break;
    case at::kChar:
        use(H5T_STD_I8LE, H5T_NATIVE_INT8);
        break;
    case at::kByte:
        use(H5T_STD_U8LE, H5T_NATIVE_UINT8);
        break;
    case at::kBool:
        // numpy's bool is an HDF5 enum in h5py; uint8 0/1 reads everywhere.
        data = data.to(at::kByte);
        use(H5T_STD_U8LE, H5T_NATIVE_UINT8);
        tag = "bool";
        break;
    default:
        throw UsageError(where + ": cannot store a tensor of dtype " +
                         std::string(c10::toString(data.scalar_type())) + " in HDF5");
    }
    data = data.to(at::kCPU).contiguous();
    if (data.dim() > H5S_MAX_RANK)
        throw UsageError(where + ": HDF5 datasets have at most " + std::to_string(H5S_MAX_RANK) +
                         " dimensions");

    d.prepareDataset(norm);
    std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
    Handle space = data.dim() == 0 ? scalarSpace(Side::Write, where) : simpleSpace(dims, Side::Write, where);
    Handle dcpl =
        make(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, Side::Write, where, "cannot create dataset properties");
    const std::size_t elementSize = data.element_size();
    const std::size_t bytes = static_cast<std::size_t>(data.numel()) * elementSize;
    if (bytes > kCompressAbove) {
        // Halve the leading dimensions first: whole rows stay in one chunk,
        // which suits reading a row ([T, C] tiles, per-layer tables).
        std::vector<hsize_t> chunk = dims;
        auto chunkBytes = [&] {
            std::size_t n = elementSize;
            for (hsize_t c : chunk)
                n *= c;
            return n;
        };
        for (std::size_t i = 0; i < chunk.size(); ++i)
            while (chunk[i] > 1 && chunkBytes() > kChunkTarget)
                chunk[i] = (chunk[i] + 1) / 2;
        need(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), Side::Write, where,
             "cannot set the chunk size");
        // Shuffle groups the bytes of equal significance; deflate then does
        // far better on float statistics. Both are built into every HDF5.
        need(H5Pset_shuffle(dcpl.get()), Side::Write, where, "cannot enable the shuffle filter");
        need(H5Pset_deflate(dcpl.get(), kDeflateLevel), Side::Write, where, "cannot enable compression");
    }
    Handle dataset = make(
        H5Dcreate2(d.file.get(), norm.c_str(), fileType, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, Side::Write, where, "cannot create the dataset");
    if (data.numel() > 0)
        need(H5Dwrite(dataset.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()), Side::Write,
             where, "cannot write the dataset");
    if (tag)
        d.writeStringAttribute(dataset.get(), d.whereAttr(norm, kDTypeAttribute), kDTypeAttribute, tag);
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
        Handle attr = make(H5Aopen(dataset.get(), kDTypeAttribute, H5P_DEFAULT), H5Aclose, Side::Read, whereA,
                           "cannot open the attribute");
        tag = d.readAttributeString(attr.get(), whereA);
    }

    at::ScalarType dtype = at::kFloat;
    hid_t memType = -1;
    Handle memHalf;
    auto unsupported = [&](const std::string& what) {
        return FormatError(where + ": unsupported element type (" + what + ")");
    };
    auto use = [&](at::ScalarType t, hid_t mem) { dtype = t, memType = mem; };
    if (cls == H5T_INTEGER) {
        const bool isSigned = H5Tget_sign(type.get()) == H5T_SGN_2;
        // Unsigned types LibTorch lacks widen to the next signed type.
        if (size == 1)
            isSigned ? use(at::kChar, H5T_NATIVE_INT8) : use(at::kByte, H5T_NATIVE_UINT8);
        else if (size == 2)
            isSigned ? use(at::kShort, H5T_NATIVE_INT16) : use(at::kInt, H5T_NATIVE_INT32);
        else if (size == 4)
            isSigned ? use(at::kInt, H5T_NATIVE_INT32) : use(at::kLong, H5T_NATIVE_INT64);
        else if (size == 8 && isSigned)
            use(at::kLong, H5T_NATIVE_INT64);
        else
            throw unsupported(std::to_string(size * 8) + "-bit " + (isSigned ? "signed" : "unsigned") +
                              " integer");
    } else if (cls == H5T_FLOAT) {
        std::size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
        need(H5Tget_fields(type.get(), &spos, &epos, &esize, &mpos, &msize), Side::Read, where,
             "unreadable float type");
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
        std::vector<hsize_t> dims(static_cast<std::size_t>(
            need(H5Sget_simple_extent_ndims(space.get()), Side::Read, where, "unreadable dataspace")));
        need(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), Side::Read, where,
             "unreadable dataspace");
        shape.assign(dims.begin(), dims.end());
    } else if (spaceClass != H5S_SCALAR) {
        throw FormatError(where + ": has no dataspace (an empty/null dataset), no tensor to read");
    }

    at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dtype));
    if (out.numel() > 0)
        need(H5Dread(dataset.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()), Side::Read,
             where, "cannot read the dataset");
    if (tag == "bool")
        return out != 0;
    if (tag == "bfloat16")
        return out.to(at::kBFloat16);
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
    if (spaceClass == H5S_SCALAR)
        return {};
    if (spaceClass != H5S_SIMPLE)
        throw FormatError(where + ": has no dataspace (an empty/null dataset)");
    std::vector<hsize_t> dims(static_cast<std::size_t>(
        need(H5Sget_simple_extent_ndims(space.get()), Side::Read, where, "unreadable dataspace")));
    need(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), Side::Read, where,
         "unreadable dataspace");
    return {dims.begin(), dims.end()};
}

void H5File::writeString(const std::string& path, const std::string& value) {
    H5Lock lock;
    Impl& d = writableImpl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    if (value.find('\0') != std::string::npos)
        throw UsageError(where + ": HDF5 strings cannot hold NUL bytes");
    d.prepareDataset(norm);
    Handle type = utf8StringType(Side::Write, where);
    Handle space = scalarSpace(Side::Write, where);
    Handle dataset = make(H5Dcreate2(d.file.get(), norm.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose, Side::Write, where, "cannot create the dataset");
    const char* text = value.c_str();
    need(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), Side::Write, where,
         "cannot write the string");
}

std::string H5File::readString(const std::string& path) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    Handle dataset = d.openDataset(norm);
    Handle type = make(H5Dget_type(dataset.get()), H5Tclose, Side::Read, where, "unreadable element type");
    Handle space = make(H5Dget_space(dataset.get()), H5Sclose, Side::Read, where, "unreadable dataspace");
    return readStringValue(
        type.get(), space.get(),
        [&](hid_t mem, void* buf) { return H5Dread(dataset.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
        where);
}

void H5File::setAttribute(const std::string& objectPath, const std::string& name, const std::string& value) {
    H5Lock lock;
    Impl& d = writableImpl();
    const std::string norm = normalize(objectPath);
    Handle object = d.openObject(norm);
    d.writeStringAttribute(object.get(), d.whereAttr(norm, name), name, value);
}

void H5File::setAttribute(const std::string& objectPath, const std::string& name, std::int64_t value) {
    H5Lock lock;
    Impl& d = writableImpl();
    Handle space = scalarSpace(Side::Write, d.whereAttr(normalize(objectPath), name));
    d.setAttribute(objectPath, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value);
}

void H5File::setAttribute(const std::string& objectPath, const std::string& name, double value) {
    H5Lock lock;
    Impl& d = writableImpl();
    Handle space = scalarSpace(Side::Write, d.whereAttr(normalize(objectPath), name));
    d.setAttribute(objectPath, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &value);
}

void H5File::setAttribute(const std::string& objectPath, const std::string& name,
                          const std::vector<std::int64_t>& value) {
    H5Lock lock;
    Impl& d = writableImpl();
    Handle space = simpleSpace({value.size()}, Side::Write, d.whereAttr(normalize(objectPath), name));
    d.setAttribute(objectPath, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), value.data());
}

void H5File::setAttribute(const std::string& objectPath, const std::string& name,
                          const std::vector<double>& value) {
    H5Lock lock;
    Impl& d = writableImpl();
    Handle space = simpleSpace({value.size()}, Side::Write, d.whereAttr(normalize(objectPath), name));
    d.setAttribute(objectPath, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), value.data());
}

bool H5File::hasAttribute(const std::string& objectPath, const std::string& name) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(objectPath);
    const Kind k = d.kind(norm);
    if (k != Kind::Group && k != Kind::Dataset)
        return false;
    Handle object = d.openObject(norm);
    return need(H5Aexists(object.get(), name.c_str()), Side::Read, d.whereAttr(norm, name),
                "cannot look up the attribute") > 0;
}

std::string H5File::stringAttribute(const std::string& objectPath, const std::string& name) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(objectPath);
    Handle attr = d.openAttribute(norm, name);
    return d.readAttributeString(attr.get(), d.whereAttr(norm, name));
}

std::int64_t H5File::intAttribute(const std::string& objectPath, const std::string& name) const {
    H5Lock lock;
    const std::string where = impl().whereAttr(normalize(objectPath), name);
    return single(intsAttribute(objectPath, name), where);
}

double H5File::doubleAttribute(const std::string& objectPath, const std::string& name) const {
    H5Lock lock;
    const std::string where = impl().whereAttr(normalize(objectPath), name);
    return single(doublesAttribute(objectPath, name), where);
}

std::vector<std::int64_t> H5File::intsAttribute(const std::string& objectPath,
                                                const std::string& name) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(objectPath);
    Handle attr = d.openAttribute(norm, name);
    return readNumbers<std::int64_t>(attr.get(), H5T_NATIVE_INT64, false, d.whereAttr(norm, name));
}

std::vector<double> H5File::doublesAttribute(const std::string& objectPath, const std::string& name) const {
    H5Lock lock;
    const Impl& d = impl();
    const std::string norm = normalize(objectPath);
    Handle attr = d.openAttribute(norm, name);
    return readNumbers<double>(attr.get(), H5T_NATIVE_DOUBLE, true, d.whereAttr(norm, name));
}

} // namespace ol
