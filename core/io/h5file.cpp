#include "core/io/h5fileimpl.h"

#include <ATen/ATen.h>
#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace ol {

using namespace h5;

H5File::H5File(std::string path, std::unique_ptr<Impl> impl) : m_path(std::move(path)), m_d(std::move(impl)) {}
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
    if (!d.atomic) throw RuntimeFailure(m_path + ": the HDF5 file is open read-only");
    return d;
}

namespace {

// FormatError unless `path` is an existing HDF5 file.
void requireHdf5File(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw FormatError(path + ": no such file");
    if (fs::is_directory(status)) throw FormatError(path + ": is a folder, not an HDF5 file");
    if (!fs::is_regular_file(status)) // a FIFO would block in H5Fis_hdf5
        throw FormatError(path + ": is not a regular file, not an HDF5 file");
    const htri_t isHdf5 = H5Fis_hdf5(path.c_str());
    if (isHdf5 < 0) fail(Side::Read, path + ": cannot read the file");
    if (isHdf5 == 0) throw FormatError(path + ": not an HDF5 file");
}

// CLOSE_STRONG: H5Fclose closes every object still open in the file, so the
// file is complete on disk before commit() renames it.
Handle accessProperties(const std::string& path, Side side, bool forWriting, bool newFile) {
    Handle fapl = make(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, side, path, "cannot create file access properties");
    need(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), side, path, "cannot set the close degree");
    // The 1.8 object formats at least: they store attributes over 64 KiB (a
    // long summary or list of files), which the 1.6 formats HDF5 picks by
    // default cannot, and every HDF5 since 1.8 (2008) reads them. New files
    // stay at 1.8 for older readers; an updated file may already be newer.
    if (forWriting)
        need(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, newFile ? H5F_LIBVER_V18 : H5F_LIBVER_LATEST), side, path,
             "cannot set the format version bounds");
    return fapl;
}

} // namespace

namespace {

constexpr hsize_t kUserBlockBytes = 512;

// HDF5 leaves its user block to the application: the bytes go in after the library closed the file.
void writeUserBlock(const std::string& file, const std::string& bytes, const std::string& shownPath) {
    std::string block(kUserBlockBytes, '\0');
    block.replace(0, bytes.size(), bytes);
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(0);
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    if (!out.flush()) throw RuntimeFailure(shownPath + ": cannot write the file's header");
}

} // namespace

H5File H5File::openRead(const std::string& path) {
    H5Lock lock;
    requireHdf5File(path);
    auto d = std::make_unique<Impl>();
    d->path = path;
    Handle fapl = accessProperties(path, Side::Read, false, false);
    d->file = make(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, Side::Read, path, "cannot open the HDF5 file");
    return H5File(path, std::move(d));
}

H5File H5File::create(const std::string& path, const std::string& userBlock) {
    H5Lock lock;
    if (userBlock.size() > kUserBlockBytes) throw std::invalid_argument("HDF5 user block longer than 512 bytes");
    auto d = std::make_unique<Impl>();
    d->path = path;
    d->atomic = std::make_unique<AtomicFile>(path);
    d->userBlock = userBlock;
    Handle fapl = accessProperties(path, Side::Write, true, true);
    Handle fcpl = make(H5Pcreate(H5P_FILE_CREATE), H5Pclose, Side::Write, path, "cannot create HDF5 properties");
    if (!userBlock.empty())
        need(H5Pset_userblock(fcpl.get(), kUserBlockBytes), Side::Write, path, "cannot reserve the user block");
    d->file = make(H5Fcreate(d->atomic->tempPath().c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose, Side::Write, path,
                   "cannot create the HDF5 file");
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
    if (ec) throw RuntimeFailure(path + ": cannot copy the file for updating: " + ec.message());
    // The copy has the original's permissions; a read-only original must
    // still be editable (rename replaces it regardless, as any save would).
    fs::permissions(d->atomic->tempPath(), fs::perms::owner_write, fs::perm_options::add, ec);
    Handle fapl = accessProperties(path, Side::Write, true, false);
    d->file = make(H5Fopen(d->atomic->tempPath().c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, Side::Write, path,
                   "cannot open the copy of the HDF5 file for writing");
    return H5File(path, std::move(d));
}

void H5File::commit() {
    H5Lock lock;
    Impl& d = writableImpl();
    if (d.file.close() < 0) {
        const std::string detail = h5Detail();
        m_d.reset(); // removes the temporary file
        throw RuntimeFailure(m_path + ": cannot finish writing the HDF5 file" + (detail.empty() ? "" : " (" + detail + ")"));
    }
    try {
        if (!d.userBlock.empty()) writeUserBlock(d.atomic->tempPath(), d.userBlock, m_path);
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

void H5File::writeString(const std::string& path, const std::string& value) {
    H5Lock lock;
    Impl& d = writableImpl();
    const std::string norm = normalize(path);
    const std::string where = d.where(norm);
    if (value.find('\0') != std::string::npos) throw UsageError(where + ": HDF5 strings cannot hold NUL bytes");
    d.prepareDataset(norm);
    Handle type = utf8StringType(Side::Write, where);
    Handle space = scalarSpace(Side::Write, where);
    Handle dataset = make(H5Dcreate2(d.file.get(), norm.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
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
        [&](hid_t mem, void* buf) { return H5Dread(dataset.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); }, where);
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

void H5File::setAttribute(const std::string& objectPath, const std::string& name, const std::vector<std::int64_t>& value) {
    H5Lock lock;
    Impl& d = writableImpl();
    Handle space = simpleSpace({value.size()}, Side::Write, d.whereAttr(normalize(objectPath), name));
    d.setAttribute(objectPath, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), value.data());
}

void H5File::setAttribute(const std::string& objectPath, const std::string& name, const std::vector<double>& value) {
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
    if (k != Kind::Group && k != Kind::Dataset) return false;
    Handle object = d.openObject(norm);
    return need(H5Aexists(object.get(), name.c_str()), Side::Read, d.whereAttr(norm, name), "cannot look up the attribute") > 0;
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

std::vector<std::int64_t> H5File::intsAttribute(const std::string& objectPath, const std::string& name) const {
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
