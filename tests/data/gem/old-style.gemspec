Gem::Specification.new do |spec|
  spec.name = %q{json_pure}
  spec.version = Gem::Version.new("1.8.6")
end
